-- Trigram full-text index over run prompts, so `GET /runs?q=` is an index lookup, not a scan.
-- drizzle-kit cannot model virtual tables, so this migration is written by hand.
CREATE VIRTUAL TABLE `runs_prompt_fts` USING fts5(prompt, content='runs', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
CREATE TRIGGER `runs_prompt_fts_insert` AFTER INSERT ON `runs` BEGIN
	INSERT INTO runs_prompt_fts(rowid, prompt) VALUES (new.rowid, new.prompt);
END;
--> statement-breakpoint
CREATE TRIGGER `runs_prompt_fts_delete` AFTER DELETE ON `runs` BEGIN
	INSERT INTO runs_prompt_fts(runs_prompt_fts, rowid, prompt) VALUES ('delete', old.rowid, old.prompt);
END;
--> statement-breakpoint
CREATE TRIGGER `runs_prompt_fts_update` AFTER UPDATE OF prompt ON `runs` BEGIN
	INSERT INTO runs_prompt_fts(runs_prompt_fts, rowid, prompt) VALUES ('delete', old.rowid, old.prompt);
	INSERT INTO runs_prompt_fts(rowid, prompt) VALUES (new.rowid, new.prompt);
END;
