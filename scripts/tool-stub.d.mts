export function startToolStub(options?: {
	port?: number;
	host?: string;
}): Promise<{ url: string; close(): Promise<void> }>;
