import { describeRoute, resolver } from "hono-openapi";
import { z } from "zod";
import { type ApiErrorCode, statusOf } from "../errors";
import { ErrorSchema } from "./schemas";

/** Codes any route behind auth may answer with, besides its own. */
const EVERY_ROUTE: ApiErrorCode[] = ["unauthorized", "auth_not_configured", "overloaded"];
/** ...and any route that takes a JSON body or is rate-limited (every POST and DELETE). */
const EVERY_WRITE: ApiErrorCode[] = [
	"invalid_request",
	"payload_too_large",
	"unsupported_media_type",
	"rate_limited",
];

interface Success {
	status: number;
	description: string;
	schema?: z.ZodType;
	media?: string;
}

interface RouteDoc {
	summary: string;
	description?: string;
	tags: string[];
	/** The success answers: status, what it is, and its schema (JSON unless `media` says). */
	ok: Success | Success[];
	/** The codes this route itself raises; the shared ones are added by `write` and `open`. */
	errors?: ApiErrorCode[];
	/** A write (POST, DELETE): adds the body and rate-limit errors. */
	write?: boolean;
	/** Public: no bearer key needed. */
	open?: boolean;
	/** Request headers beyond Authorization; `schema` is the zod schema the route validates it with. */
	headers?: { name: string; description: string; schema?: z.ZodType }[];
}

/**
 * A route's OpenAPI description as hono-openapi middleware: the success answer and every error
 * code grouped by status, each status described by the codes it carries.
 */
export function doc(route: RouteDoc) {
	const codes = new Set<ApiErrorCode>([
		...(route.errors ?? []),
		...(route.open ? [] : EVERY_ROUTE),
		...(route.write ? EVERY_WRITE : []),
	]);
	const byStatus = new Map<number, ApiErrorCode[]>();
	for (const code of codes) {
		const status = statusOf(code);
		byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
	}
	const errorContent = { "application/json": { schema: resolver(ErrorSchema) } };
	const responses = Object.fromEntries([
		...[route.ok].flat().map((ok) => [
			String(ok.status),
			{
				description: ok.description,
				content: ok.schema
					? { [ok.media ?? "application/json"]: { schema: resolver(ok.schema) } }
					: undefined,
			},
		]),
		...[...byStatus]
			.sort(([a], [b]) => a - b)
			.map(([status, list]) => [
				String(status),
				{ description: `Error: ${list.sort().join(", ")}`, content: errorContent },
			]),
	]);
	return describeRoute({
		summary: route.summary,
		description: route.description,
		tags: route.tags,
		...(route.open ? { security: [] } : {}),
		parameters: route.headers?.map(({ name, description, schema }) => ({
			name,
			in: "header" as const,
			required: false,
			description,
			schema: schema ? headerSchema(schema) : { type: "string" as const },
		})),
		responses,
	});
}

function headerSchema(schema: z.ZodType) {
	const { $schema: _dialect, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
	return rest;
}
