// The plan as a graph: one node per step, coloured by status, an edge per dependency, laid out in
// columns by depth (a step sits one column right of its deepest dependency).

const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 168;
const NODE_H = 48;
const GAP_X = 56;
const GAP_Y = 20;

function svg(tag, attributes = {}, ...children) {
	const node = document.createElementNS(SVG, tag);
	for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
	node.append(...children);
	return node;
}

/** Column of each step: 0 for steps with no dependencies, else 1 + the deepest dependency's. */
export function depths(steps) {
	const byNumber = new Map(steps.map((step) => [step.step_number, step]));
	const memo = new Map();
	const depth = (number) => {
		if (memo.has(number)) return memo.get(number);
		const deps = byNumber.get(number)?.depends_on ?? [];
		const value = deps.length ? 1 + Math.max(...deps.map(depth)) : 0;
		memo.set(number, value);
		return value;
	};
	for (const step of steps) depth(step.step_number);
	return memo;
}

/**
 * Draws `steps` (the plan's, with `status` from the execution log) into `container`, calling
 * `onSelect(step_number)` on click, Enter or Space. `selected` is outlined.
 */
export function drawGraph(container, steps, { selected, onSelect }) {
	const depthOf = depths(steps);
	const columns = [];
	for (const step of steps) {
		const column = depthOf.get(step.step_number);
		if (!columns[column]) columns[column] = [];
		columns[column].push(step);
	}
	const position = new Map();
	columns.forEach((column, x) => {
		column.forEach((step, y) => {
			position.set(step.step_number, { x: x * (NODE_W + GAP_X), y: y * (NODE_H + GAP_Y) });
		});
	});
	const width = Math.max(1, columns.length) * (NODE_W + GAP_X) - GAP_X;
	const height = Math.max(1, ...columns.map((c) => c.length)) * (NODE_H + GAP_Y) - GAP_Y;
	// Drawn at its natural size: a wide plan scrolls sideways in its panel instead of shrinking
	// its text out of reach on a phone.
	const root = svg("svg", {
		viewBox: `-4 -4 ${width + 8} ${height + 8}`,
		width: width + 8,
		height: height + 8,
		role: "group",
		"aria-label": `Plan of ${steps.length} steps`,
	});
	root.append(
		svg(
			"defs",
			{},
			svg(
				"marker",
				{
					id: "arrow",
					viewBox: "0 0 10 10",
					refX: 10,
					refY: 5,
					markerWidth: 8,
					markerHeight: 8,
					orient: "auto",
				},
				svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }),
			),
		),
	);
	for (const step of steps) {
		const to = position.get(step.step_number);
		for (const dep of step.depends_on ?? []) {
			const from = position.get(dep);
			if (!from) continue;
			const x1 = from.x + NODE_W;
			const y1 = from.y + NODE_H / 2;
			const x2 = to.x;
			const y2 = to.y + NODE_H / 2;
			const mid = (x1 + x2) / 2;
			root.append(
				svg("path", {
					d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
					class: "edge",
					"marker-end": "url(#arrow)",
				}),
			);
		}
	}
	for (const step of steps) {
		const { x, y } = position.get(step.step_number);
		const status = step.status ?? "pending";
		const label = `Step ${step.step_number}, ${step.tool}, ${status.replaceAll("_", " ")}`;
		const node = svg(
			"g",
			{
				class: `node ${status}${selected === step.step_number ? " selected" : ""}`,
				transform: `translate(${x},${y})`,
				tabindex: 0,
				role: "button",
				"aria-label": label,
				"data-step": step.step_number,
				"data-status": status,
			},
			svg("rect", { width: NODE_W, height: NODE_H, rx: 8 }),
			svg("text", { x: 10, y: 20, class: "title" }, `${step.step_number} · ${step.tool}`),
			svg("text", { x: 10, y: 38, class: "state" }, status.replaceAll("_", " ")),
		);
		node.addEventListener("click", () => onSelect(step.step_number));
		node.addEventListener("keydown", (event) => {
			if (event.key !== "Enter" && event.key !== " ") return;
			event.preventDefault();
			onSelect(step.step_number);
		});
		root.append(node);
	}
	// Keep keyboard focus on the same step across redraws.
	const focused = container.contains(document.activeElement)
		? document.activeElement.getAttribute("data-step")
		: null;
	container.replaceChildren(root);
	if (focused) root.querySelector(`[data-step="${focused}"]`)?.focus();
}
