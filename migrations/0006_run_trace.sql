ALTER TABLE `runs` ADD `trace_id` text;--> statement-breakpoint
CREATE INDEX `runs_tenant_trace_idx` ON `runs` (`tenant`,`trace_id`);