/**
 * The checkpoint graph drawn in SVG: laid out by dagre (left to right),
 * panned by dragging, zoomed with the wheel or the buttons, nodes reachable
 * with the keyboard. Status changes repaint nodes in place; the layout is
 * redone only when nodes or edges change. A replay plan can be drawn over it.
 */
import { Graph, layout } from "@dagrejs/dagre";
import type { CheckpointCall } from "#gen/kitaru/runner/v1/execution_pb.ts";
import { button, h, replaceChildren, svg } from "./dom.ts";
import { type GraphModel, type GraphNode, graphModel, nodePaint, type PlanMarks } from "./state/graph-model.ts";
import { centredBox, fitBox, movedBox, type ViewBox, zoomBox } from "./state/view-box.ts";

const NODE_WIDTH = 210;
const NODE_HEIGHT = 58;

/** The checkpoint graph of one execution. */
export class CallGraph {
  readonly element: HTMLElement;
  readonly #svg: SVGSVGElement;
  readonly #edgeLayer: SVGGElement;
  readonly #nodeLayer: SVGGElement;
  readonly #expandedBar: HTMLElement;
  readonly #onSelect: (invocationId: string) => void;
  readonly #expanded = new Set<string>();
  #calls: readonly CheckpointCall[] = [];
  #model: GraphModel | undefined;
  #marks: PlanMarks | undefined;
  #selected: string | undefined;
  #box: ViewBox = { x: 0, y: 0, w: 800, h: 400 };
  #extent: ViewBox = { x: 0, y: 0, w: 800, h: 400 };
  /** The centre of each drawn node, from the last layout. */
  #positions = new Map<string, { x: number; y: number }>();
  /** When the last drag ended: the click that ends a drag selects nothing. */
  #draggedAt = 0;

  constructor(onSelect: (invocationId: string) => void) {
    this.#onSelect = onSelect;
    this.#edgeLayer = svg("g", { class: "edges" });
    this.#nodeLayer = svg("g", { class: "nodes" });
    this.#svg = svg(
      "svg",
      { class: "graph-canvas", role: "group", "aria-label": "Checkpoint graph", tabindex: "0" },
      svg(
        "defs",
        {},
        svg(
          "marker",
          { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
          svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }),
        ),
      ),
      this.#edgeLayer,
      this.#nodeLayer,
    );
    this.#expandedBar = h("div", { class: "expanded-groups" });
    const legend = h(
      "div",
      { class: "legend", "aria-hidden": "true" },
      h("span", { class: "legend-data" }, "data"),
      h("span", { class: "legend-load" }, "load"),
    );
    this.element = h(
      "div",
      { class: "graph" },
      h(
        "div",
        { class: "graph-toolbar" },
        button("+", () => this.zoom(0.8), { "aria-label": "Zoom in", title: "Zoom in" }),
        button("−", () => this.zoom(1.25), { "aria-label": "Zoom out", title: "Zoom out" }),
        button("Fit", () => this.fit(), { title: "Fit the graph" }),
        legend,
        this.#expandedBar,
      ),
      this.#svg,
    );
    this.#enablePanAndZoom();
  }

  /** Draws `calls`; keeps the view unless the graph's shape changed. */
  setCalls(calls: readonly CheckpointCall[]): void {
    this.#calls = calls;
    this.#draw();
  }

  /** Draws a replay plan over the graph (undefined: none). */
  setMarks(marks: PlanMarks | undefined): void {
    this.#marks = marks;
    this.#paintNodes();
  }

  /** Highlights the selected call. */
  setSelected(invocationId: string | undefined): void {
    this.#selected = invocationId;
    this.#paintNodes();
  }

  /** Expands a group of calls named `name` into its calls. */
  expand(name: string): void {
    this.#expanded.add(name);
    this.#draw();
    // A large group laid out is long: show its first calls at full size rather than all of it as a sliver.
    const first = this.#calls.find((c) => c.name === name);
    if (first) this.#showAtFullSize(first.invocationId);
  }

  /** Centres the view on a node, at full size (Fit shows everything again). */
  #showAtFullSize(nodeId: string): void {
    const at = this.#positions.get(nodeId);
    if (!at) return;
    this.#box = centredBox(at, this.#viewport());
    this.#apply();
  }

  #collapse(name: string): void {
    this.#expanded.delete(name);
    this.#draw();
  }

  #draw(): void {
    const model = graphModel(this.#calls, this.#expanded);
    const relayout = model.shapeKey !== this.#model?.shapeKey;
    this.#model = model;
    if (relayout) this.#layout(model);
    this.#paintNodes();
    replaceChildren(
      this.#expandedBar,
      ...[...this.#expanded].map((name) => button(`Collapse ${name}`, () => this.#collapse(name), { class: "small", "data-collapse": name })),
    );
  }

  #layout(model: GraphModel): void {
    const graph = new Graph();
    graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 60, marginx: 20, marginy: 20 });
    graph.setDefaultEdgeLabel(() => ({}));
    for (const node of model.nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    for (const edge of model.edges) graph.setEdge(edge.from, edge.to);
    layout(graph);
    const edges = model.edges.map((edge) => {
      const points = graph.edge(edge.from, edge.to)?.points ?? [];
      const d = points.map((p: { x: number; y: number }, i: number) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
      return svg("path", { d, class: `edge edge-${edge.kind}`, "marker-end": "url(#arrow)", "data-from": edge.from, "data-to": edge.to });
    });
    replaceChildren(this.#edgeLayer, ...edges);
    this.#positions = new Map(model.nodes.map((node) => [node.id, { x: graph.node(node.id).x, y: graph.node(node.id).y }]));
    const nodes = model.nodes.map((node) => {
      const { x, y } = graph.node(node.id);
      return this.#nodeElement(node, x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2);
    });
    replaceChildren(this.#nodeLayer, ...nodes);
    const label = graph.graph();
    const previous = this.#extent;
    this.#extent = { x: 0, y: 0, w: Math.max(label.width ?? 0, 200), h: Math.max(label.height ?? 0, 100) };
    if (previous.w !== this.#extent.w || previous.h !== this.#extent.h) this.fit();
  }

  #nodeElement(node: GraphNode, x: number, y: number): SVGGElement {
    const activate = () => {
      const [first] = node.calls;
      if (node.group && first) this.expand(first.name);
      else this.#onSelect(node.id);
    };
    const g = svg(
      "g",
      {
        class: "node",
        transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
        tabindex: "0",
        role: "button",
        "data-node": node.id,
        "data-group": node.group ? "true" : undefined,
        "aria-label": node.group ? `${node.label}: expand` : `call ${node.id}`,
        // The click that ends a drag selects nothing.
        onclick: () => Date.now() - this.#draggedAt > 100 && activate(),
        onkeydown: ((event: KeyboardEvent) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            activate();
          }
        }) as EventListener,
      },
      svg("rect", { class: "node-box", width: NODE_WIDTH, height: NODE_HEIGHT, rx: "6" }),
      svg("rect", { class: "node-status-bar", width: "6", height: NODE_HEIGHT, rx: "3" }),
      svg("text", { class: "node-title", x: "14", y: "20" }, node.label.length > 26 ? `${node.label.slice(0, 25)}…` : node.label),
      svg("text", { class: "node-sub", x: "14", y: "38" }),
      svg("text", { class: "node-plan", x: "14", y: "52" }),
      svg("title", {}, node.group ? `${node.label} (press to expand)` : node.id),
    );
    return g;
  }

  /** Repaints statuses, markers, plan marks and the selection without moving anything. */
  #paintNodes(): void {
    const model = this.#model;
    if (!model) return;
    const byId = new Map(model.nodes.map((n) => [n.id, n]));
    for (const g of this.#nodeLayer.querySelectorAll<SVGGElement>("g.node")) {
      const node = byId.get(g.dataset.node ?? "");
      if (!node) continue;
      const paint = nodePaint(node, this.#marks, this.#selected);
      g.setAttribute("class", paint.classes);
      g.dataset.status = paint.status;
      g.dataset.plan = paint.plan.join(" ");
      const sub = g.querySelector(".node-sub");
      if (sub) sub.textContent = paint.subtitle;
      const marks = g.querySelector(".node-plan");
      if (marks) marks.textContent = paint.marks;
    }
  }

  // --- pan and zoom ----------------------------------------------------------

  #apply(): void {
    const b = this.#box;
    this.#svg.setAttribute("viewBox", `${b.x} ${b.y} ${b.w} ${b.h}`);
  }

  #viewport(): { width: number; height: number } {
    return { width: this.#svg.clientWidth, height: this.#svg.clientHeight };
  }

  /** Shows the whole graph. */
  fit(): void {
    this.#box = fitBox(this.#extent, this.#viewport());
    this.#apply();
  }

  /** Zooms by `factor` (below 1: in) around the point at fractions (fx, fy) of the view. */
  zoom(factor: number, fx = 0.5, fy = 0.5): void {
    this.#box = zoomBox(this.#box, this.#extent, factor, fx, fy);
    this.#apply();
  }

  #enablePanAndZoom(): void {
    const canvas = this.#svg;
    canvas.addEventListener(
      "wheel",
      (event) => {
        event.preventDefault();
        const rect = canvas.getBoundingClientRect();
        this.zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, (event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height);
      },
      { passive: false },
    );
    let drag: { x: number; y: number; box: ViewBox; moved: boolean } | undefined;
    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, box: { ...this.#box }, moved: false };
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) canvas.setPointerCapture(event.pointerId);
      drag.moved = true;
      const rect = canvas.getBoundingClientRect();
      const scale = Math.max(drag.box.w / rect.width, drag.box.h / rect.height);
      this.#box = movedBox(drag.box, -dx * scale, -dy * scale);
      this.#apply();
    });
    const end = (event: PointerEvent) => {
      if (drag?.moved) {
        this.#draggedAt = Date.now();
        canvas.releasePointerCapture(event.pointerId);
      }
      drag = undefined;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("keydown", (event) => {
      if (event.target !== canvas) return;
      const step = this.#box.w * 0.1;
      const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      const move = moves[event.key];
      if (move) {
        event.preventDefault();
        this.#box = movedBox(this.#box, move[0], move[1]);
        this.#apply();
      } else if (event.key === "+" || event.key === "=") this.zoom(0.8);
      else if (event.key === "-") this.zoom(1.25);
    });
  }
}
