import { z } from "zod";

/** A position in the newest-first run listing: the last row of the previous page. */
export interface ListCursor {
	created_at: string;
	run_id: string;
}

const CursorSchema = z
	.object({ created_at: z.string().max(64), run_id: z.string().max(64) })
	.strict();

/** Opaque to clients: base64url of the keyset position. */
export function encodeCursor(cursor: ListCursor): string {
	const bytes = new TextEncoder().encode(JSON.stringify([cursor.created_at, cursor.run_id]));
	return btoa(String.fromCharCode(...bytes))
		.replaceAll("+", "-")
		.replaceAll("/", "_")
		.replace(/=+$/, "");
}

/** Undefined for anything that is not a cursor this API issued. */
export function decodeCursor(raw: string): ListCursor | undefined {
	if (raw.length > 256 || !/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
	try {
		const binary = atob(raw.replaceAll("-", "+").replaceAll("_", "/"));
		const text = new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
		const parsed: unknown = JSON.parse(text);
		if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
		const result = CursorSchema.safeParse({ created_at: parsed[0], run_id: parsed[1] });
		return result.success ? result.data : undefined;
	} catch {
		return undefined;
	}
}
