CREATE TABLE `stats_days` (
	`tenant` text NOT NULL,
	`day` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`tenant`, `day`)
);
