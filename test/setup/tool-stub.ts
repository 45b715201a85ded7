import type { TestProject } from "vitest/node";
import { startToolStub } from "../../scripts/tool-stub.mjs";

// A tenant's HTTP tools and MCP server, as real servers the Worker reaches over the network.
export default async function setup(project: TestProject) {
	const stub = await startToolStub();
	project.provide("toolStubUrl", stub.url);
	return () => stub.close();
}

declare module "vitest" {
	export interface ProvidedContext {
		toolStubUrl: string;
	}
}
