CREATE TABLE `plan_cache` (
	`key` text PRIMARY KEY NOT NULL,
	`plan` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `runs` ADD `fallback_reason` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `llm_model` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `llm_latency_ms` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `llm_prompt_tokens` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `llm_completion_tokens` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `llm_repairs` integer;--> statement-breakpoint
ALTER TABLE `runs` ADD `plan_cached` integer;