import { LIST_NAME } from "./todo-words";

// Zero-width characters and bidirectional overrides: invisible, and able to disguise a title.
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** NFKC-folds (fullwidth digits become ASCII), drops invisible characters, collapses spaces. */
export function normalisePrompt(prompt: string): string {
	return prompt.normalize("NFKC").replace(INVISIBLE, "").replace(/\s+/g, " ").trim();
}

// Separators between steps, most specific first so ", and then" is one separator.
const SEPARATOR =
	/\s*(?:,\s*and\s+then\s+|,\s*then\s+|,\s*and\s+|\s+and\s+then\s+|\s+after\s+that\s*,?\s+|\s+then\s+|\s+and\s+|[,;]\s*|\.\s+)/i;

/** A piece of the prompt, with the separator that preceded it (empty for the first). */
export interface Segment {
	text: string;
	separator: string;
}

/** Splits a prompt at "and", "then", commas and sentence ends, keeping the separators. */
export function splitSegments(prompt: string): Segment[] {
	const segments: Segment[] = [];
	let rest = prompt;
	let separator = "";
	for (;;) {
		const match = SEPARATOR.exec(rest);
		if (!match) break;
		segments.push({ text: rest.slice(0, match.index), separator });
		separator = match[0];
		rest = rest.slice(match.index + match[0].length);
	}
	segments.push({ text: rest, separator });
	return segments
		.map((segment) => ({ ...segment, text: stripClause(segment.text) }))
		.filter((segment) => segment.text !== "");
}

const LEADING_FILLER =
	/^(?:(?:then|and|also|next|finally|afterwards|after that|please|pls|can you|could you|would you|i want you to|i'd like you to|now)\b[\s,]*)+/i;

/** Drops leading filler ("then please") and trailing punctuation from one clause. */
export function stripClause(text: string): string {
	return text
		.trim()
		.replace(LEADING_FILLER, "")
		.replace(/[\s.!?;,:]+$/, "")
		.trim();
}

const LIST_SUFFIX = new RegExp(
	String.raw`\s+(?:to|onto|on|from|in|off)\s+(?:my|the)\s+${LIST_NAME}$`,
	"i",
);
const QUOTES = /^["'“”‘’`«»]+|["'“”‘’`«»]+$/g;

/** Cleans a todo title: no quotes, no trailing punctuation, no filler words around it. */
export function cleanTitle(raw: string): string {
	let title = raw.trim();
	for (let previous = ""; previous !== title; ) {
		previous = title;
		title = title
			.replace(QUOTES, "")
			.replace(/[\s.!?;,:]+$/, "")
			.replace(/\s+(?:please|pls|for me|thanks|thank you)$/i, "")
			.replace(LIST_SUFFIX, "")
			.replace(/^(?:the|my|a|an)\s+(?:todo|to-do|task|item|reminder)\s+/i, "")
			.replace(/^(?:todo|to-do|task|item|reminder)\s*[:-]?\s+/i, "")
			.replace(/^(?:called|named|titled|saying)\s+/i, "")
			.trim();
	}
	return title;
}
