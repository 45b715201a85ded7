import type { TestProject } from "vitest/node";
import { startLlmStub } from "../../scripts/llm-stub.mjs";

// Runs in Node before the workerd pool starts: a real HTTP server the Worker reaches through the
// real openai SDK.
export default async function setup(project: TestProject) {
	const stub = await startLlmStub();
	project.provide("llmStubUrl", stub.url);
	return () => stub.close();
}

declare module "vitest" {
	export interface ProvidedContext {
		llmStubUrl: string;
	}
}
