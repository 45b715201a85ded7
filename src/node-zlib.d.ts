// The two calls of workerd's node:zlib (nodejs_compat) that the run's event log uses, declared
// here rather than through @types/node, whose globals (process, Buffer) do not belong in a Worker.
declare module "node:zlib" {
	export function deflateRawSync(
		data: string | ArrayBuffer | ArrayBufferView,
		options?: { level?: number },
	): Uint8Array<ArrayBuffer>;
	export function inflateRawSync(data: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer>;
}
