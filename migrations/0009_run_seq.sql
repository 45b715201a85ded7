ALTER TABLE `runs` ADD `seq` integer;--> statement-breakpoint
-- Runs archived before: their copy's last event is their log's, so their objects need not send it again.
UPDATE `runs` SET `seq` = (SELECT max(`seq`) FROM `run_events` WHERE `run_events`.`run_id` = `runs`.`run_id`) WHERE `archived_at` IS NOT NULL;
