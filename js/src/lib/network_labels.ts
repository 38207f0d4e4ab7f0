// What each node says and how big its box is: lines of text per kind, measured once per string.
import type { GNode, NetGraph, VisibleNode } from "./network_graph";
import type { Size } from "./network_layout";
import { truncate } from "./text";

export interface Line { text: string; cls: "title" | "sub" | "shape" | "op" }
export interface Label { lines: Line[]; size: Size; shape: "box" | "stack" | "pill" | "io" | "frame" }

export const FONT_FAMILY = "var(--jp-ui-font-family, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif)";
export const LINE_H = 14;
export const PAD_X = 10;
export const PAD_Y = 6;
const MAX_W = 230;
const MIN_W = { box: 92, stack: 104, pill: 40, io: 80, frame: 60 } as const;
const PILL_H = 22;

/** Text measurement in the fonts the SVG uses (canvas measureText, cached). */
export type Measure = (text: string, cls: Line["cls"]) => number;

export function canvasMeasure(fontFamily: string): Measure {
  const ctx = document.createElement("canvas").getContext("2d");
  const cache = new Map<string, number>();
  const fonts: Record<Line["cls"], string> = {
    title: `600 12px ${fontFamily}`, sub: `11px ${fontFamily}`, shape: `11px ${fontFamily}`, op: `11px ${fontFamily}`,
  };
  return (text, cls) => {
    const key = `${cls}\u0000${text}`;
    let w = cache.get(key);
    if (w === undefined) {
      if (ctx) {
        ctx.font = fonts[cls];
        w = ctx.measureText(text).width;
      } else {
        w = text.length * (cls === "title" ? 7 : 6.2);
      }
      cache.set(key, w);
    }
    return w;
  };
}

/** A fixed-width estimate, for tests and for layouts computed without a DOM. */
export const approxMeasure: Measure = (text, cls) => text.length * (cls === "title" ? 7 : 6.2);

function sub(node: GNode): string {
  const parts = [node.name];
  if (node.params) parts.push(`${node.params} params`);
  return parts.join(" · ");
}

/** The lines of a node drawn as a box (expanded containers get a frame header instead: `frameTitle`). */
export function nodeLines(node: GNode): Pick<Label, "lines" | "shape"> {
  switch (node.kind) {
    case "function":
      return { lines: [{ text: node.name, cls: "op" }], shape: "pill" };
    case "input":
    case "output":
      return { lines: [{ text: node.name, cls: "title" }, { text: node.out, cls: "shape" }], shape: "io" };
    default: {
      const lines: Line[] = [{ text: node.type, cls: "title" }, { text: sub(node), cls: "sub" }];
      if (node.out) lines.push({ text: node.out, cls: "shape" });
      return { lines, shape: node.kind === "container" ? "stack" : "box" };
    }
  }
}

/** Header of an expanded container's frame. */
export function frameTitle(node: GNode): string {
  return [node.name, node.type, node.params ? `${node.params} params` : ""].filter(Boolean).join(" · ");
}

/** Lines (truncated to the widest box) and the box size; for an expanded container, its frame's minimum size. */
export function labelOf(v: VisibleNode, measure: Measure): Label {
  if (v.expanded) {
    const text = `− ${frameTitle(v.node)}`;
    return { lines: [{ text, cls: "title" }], shape: "frame", size: { w: Math.ceil(measure(text, "sub") * 1.08) + 24, h: 40 } };
  }
  const { lines, shape } = nodeLines(v.node);
  const fitted = lines.map((l) => ({ ...l, text: truncate(l.text, MAX_W - 2 * PAD_X, (s) => measure(s, l.cls)) }));
  const textW = Math.max(0, ...fitted.map((l) => measure(l.text, l.cls)));
  if (shape === "pill") {
    return { lines: fitted, shape, size: { w: Math.max(MIN_W.pill, Math.ceil(textW) + 24), h: PILL_H } };
  }
  const extra = shape === "stack" ? 4 : 0; // the stacked-card offset of a closed container
  return {
    lines: fitted,
    shape,
    size: {
      w: Math.max(MIN_W[shape], Math.ceil(textW) + 2 * PAD_X) + extra,
      h: fitted.length * LINE_H + 2 * PAD_Y + extra,
    },
  };
}

/** Tooltip lines for a node (its full path, type, shapes, parameters, overlay value). */
export function nodeTooltip(n: GNode, expanded: boolean, overlay: [string, string] | null): Array<[string, string]> {
  const lines: Array<[string, string]> = [[n.kind === "container" || n.kind === "module" ? "module" : n.kind, n.key], ["type", n.type]];
  if (n.in) lines.push(["input", n.in]);
  if (n.out) lines.push(["output", n.out]);
  if (n.paramsExact) lines.push(["parameters", n.paramsExact]);
  if (n.dtype) lines.push(["dtype", n.dtype]);
  if (n.children.length) lines.push(["contains", `${n.children.length} nodes (click to ${expanded ? "collapse" : "expand"})`]);
  if (overlay) lines.push(overlay);
  return lines;
}

/** Tooltip lines for an edge: the tensor shapes it carries, and its ends. */
export function edgeTooltip(graph: NetGraph, d: DOMStringMap): Array<[string, string]> {
  const name = (id: string | undefined) => (id && graph.nodes.get(id)?.key) || id || "";
  return [["tensor", d.shapes || "(shape unknown)"], ["from", name(d.source)], ["to", name(d.target)]];
}
