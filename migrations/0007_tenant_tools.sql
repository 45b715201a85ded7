CREATE TABLE `mcp_servers` (
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`url` text NOT NULL,
	`headers` text NOT NULL,
	`created_at` text NOT NULL,
	`refreshed_at` text,
	PRIMARY KEY(`tenant`, `name`)
);
--> statement-breakpoint
CREATE TABLE `tenant_tools` (
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`version` integer NOT NULL,
	`kind` text NOT NULL,
	`definition` text NOT NULL,
	`created_at` text NOT NULL,
	`deleted_at` text,
	PRIMARY KEY(`tenant`, `name`, `version`)
);
--> statement-breakpoint
CREATE TABLE `tool_secrets` (
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`secret` text NOT NULL,
	`rotated_at` text NOT NULL,
	PRIMARY KEY(`tenant`, `name`)
);
