ALTER TABLE `mcp_servers` ADD `server_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `mode` text DEFAULT 'plan' NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `rounds` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `llm_tokens` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `runs` ADD `cost_usd` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `tool_secrets` ADD `tool_id` text DEFAULT '' NOT NULL;