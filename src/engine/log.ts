export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** Writes one JSON object per line, carrying the bound fields (request_id, run_id) on each. */
export class Logger {
	constructor(
		private readonly fields: LogFields = {},
		private readonly level: LogLevel = "info",
	) {}

	with(fields: LogFields): Logger {
		return new Logger({ ...this.fields, ...fields }, this.level);
	}

	debug(message: string, fields?: LogFields): void {
		this.write("debug", message, fields);
	}

	info(message: string, fields?: LogFields): void {
		this.write("info", message, fields);
	}

	warn(message: string, fields?: LogFields): void {
		this.write("warn", message, fields);
	}

	error(message: string, fields?: LogFields): void {
		this.write("error", message, fields);
	}

	private write(level: LogLevel, message: string, fields?: LogFields): void {
		if (RANK[level] < RANK[this.level]) return;
		const line = JSON.stringify({ level, message, ...this.fields, ...fields });
		if (level === "error") console.error(line);
		else if (level === "warn") console.warn(line);
		else console.log(line);
	}
}

export function parseLogLevel(value: string | undefined): LogLevel {
	return value === "debug" || value === "warn" || value === "error" ? value : "info";
}
