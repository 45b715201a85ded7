CREATE TABLE `run_events` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`type` text NOT NULL,
	`at` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`run_id`, `seq`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`run_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `run_events_type_idx` ON `run_events` (`type`);--> statement-breakpoint
CREATE TABLE `runs` (
	`run_id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`prompt` text,
	`goal` text NOT NULL,
	`status` text NOT NULL,
	`planner` text NOT NULL,
	`step_count` integer NOT NULL,
	`result` text,
	`error_code` text,
	`error_message` text,
	`created_at` text NOT NULL,
	`started_at` text,
	`completed_at` text,
	`duration_ms` integer,
	`archived_at` text
);
--> statement-breakpoint
CREATE INDEX `runs_tenant_created_idx` ON `runs` (`tenant`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_tenant_status_created_idx` ON `runs` (`tenant`,`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `steps` (
	`run_id` text NOT NULL,
	`step_number` integer NOT NULL,
	`tool` text NOT NULL,
	`status` text NOT NULL,
	`input` text NOT NULL,
	`output` text,
	`error_code` text,
	`error_message` text,
	`attempts` integer NOT NULL,
	`started_at` text,
	`completed_at` text,
	`duration_ms` integer,
	PRIMARY KEY(`run_id`, `step_number`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`run_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `steps_tool_run_idx` ON `steps` (`tool`,`run_id`);