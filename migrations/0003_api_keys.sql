CREATE TABLE `api_keys` (
	`key_hash` text PRIMARY KEY NOT NULL,
	`tenant` text NOT NULL,
	`key_prefix` text NOT NULL,
	`name` text,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE INDEX `api_keys_tenant_idx` ON `api_keys` (`tenant`);