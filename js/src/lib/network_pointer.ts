// Pointer gestures on the diagram's stage: drag to pan, wheel to zoom, click on what is under the
// pointer (a node, a container's header, an edge, or the background), hover for tooltips.

export type Hit =
  | { kind: "node"; id: string }
  | { kind: "frame-head"; id: string }
  | { kind: "frame"; id: string }
  | { kind: "edge"; el: SVGGElement }
  | { kind: "background" };

const CLICK_SLOP_PX = 4;

/** What the element `target` belongs to in the diagram. */
export function hitOf(target: EventTarget | null): Hit {
  const el = target instanceof Element ? target : null;
  if (!el) return { kind: "background" };
  const node = el.closest<SVGGElement>(".ipx-net-node");
  if (node?.dataset.id !== undefined) return { kind: "node", id: node.dataset.id };
  const head = el.closest<SVGGElement>(".ipx-net-frame-top");
  if (head?.dataset.id !== undefined) return { kind: "frame-head", id: head.dataset.id };
  const frame = el.closest<SVGGElement>(".ipx-net-frame");
  if (frame?.dataset.id !== undefined) return { kind: "frame", id: frame.dataset.id };
  const edge = el.closest<SVGGElement>(".ipx-net-edge");
  if (edge) return { kind: "edge", el: edge };
  return { kind: "background" };
}

export interface StageGestures {
  pan(dx: number, dy: number): void;
  zoom(x: number, y: number, factor: number): void;
  click(hit: Hit): void;
  hover(hit: Hit, x: number, y: number): void;
  leave(): void;
  fit(): void;
}

/** Wire `g` to `stage`; coordinates are stage CSS pixels. Returns a function that unbinds. */
export function bindStage(stage: HTMLElement, g: StageGestures): () => void {
  let down: { x: number; y: number; hit: Hit; id: number } | null = null;
  let last = { x: 0, y: 0 };
  let panning = false;
  const local = (e: MouseEvent): [number, number] => {
    const r = stage.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const onDown = (e: PointerEvent) => {
    if (e.button !== 0 || (e.target as Element | null)?.closest?.(".ipx-net-minimap, .ipx-net-legend")) return;
    const [x, y] = local(e);
    down = { x, y, hit: hitOf(e.target), id: e.pointerId };
    last = { x, y };
    panning = false;
  };
  const onMove = (e: PointerEvent) => {
    const [x, y] = local(e);
    if (down && (panning || Math.hypot(x - down.x, y - down.y) > CLICK_SLOP_PX)) {
      if (!panning) {
        panning = true;
        stage.setPointerCapture(down.id);
        stage.classList.add("ipx-net-panning");
        g.leave();
      }
      g.pan(x - last.x, y - last.y);
      last = { x, y };
      return;
    }
    g.hover(hitOf(e.target), x, y);
  };
  const onUp = () => {
    const d = down;
    down = null;
    stage.classList.remove("ipx-net-panning");
    if (d && !panning) g.click(d.hit);
    panning = false;
  };
  const onWheel = (e: WheelEvent) => {
    if ((e.target as Element | null)?.closest?.(".ipx-net-minimap")) return;
    e.preventDefault(); // zoom the diagram, not the page
    const [x, y] = local(e);
    g.zoom(x, y, Math.pow(1.0015, -e.deltaY));
  };
  const onDbl = (e: MouseEvent) => {
    if (hitOf(e.target).kind === "background") g.fit();
  };
  const onLeave = () => g.leave();
  stage.addEventListener("pointerdown", onDown);
  stage.addEventListener("pointermove", onMove);
  stage.addEventListener("pointerup", onUp);
  stage.addEventListener("pointercancel", onUp);
  stage.addEventListener("pointerleave", onLeave);
  stage.addEventListener("wheel", onWheel, { passive: false });
  stage.addEventListener("dblclick", onDbl);
  return () => {
    stage.removeEventListener("pointerdown", onDown);
    stage.removeEventListener("pointermove", onMove);
    stage.removeEventListener("pointerup", onUp);
    stage.removeEventListener("pointercancel", onUp);
    stage.removeEventListener("pointerleave", onLeave);
    stage.removeEventListener("wheel", onWheel);
    stage.removeEventListener("dblclick", onDbl);
  };
}
