CREATE TABLE `stats_contributions` (
	`run_id` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`created_at` text NOT NULL,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stats_contributions_tenant_created_idx` ON `stats_contributions` (`tenant`,`created_at`);--> statement-breakpoint
CREATE TABLE `stats_hours` (
	`tenant` text NOT NULL,
	`hour` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`tenant`, `hour`)
);
