// The project brings its own Node (the `node` devDependency); a run on the machine's older Node
// means a script bypassed npm, and the toolchain's support guarantees no longer hold.
export default function requireSupportedNode(): void {
	const major = Number(process.versions.node.split(".")[0]);
	if (major < 22) {
		throw new Error(
			`Node ${process.versions.node} is not supported; run the tests with \`npm test\`, which uses the project's Node.`,
		);
	}
}
