// A small overview of a large diagram: every box as a rectangle, the visible part as a frame.
// Click or drag on it to move there.
import type { Box, Layout } from "./network_layout";

export const MINIMAP_W = 150;
export const MINIMAP_H = 120;

export class Minimap {
  readonly canvas: HTMLCanvasElement;
  private scale = 1;
  private offset = { x: 0, y: 0 };
  private base: HTMLCanvasElement | null = null;

  /** `goTo(x, y)` is called with layout coordinates when the user clicks or drags on the map. */
  constructor(parent: HTMLElement, private goTo: (x: number, y: number) => void) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "ipx-net-minimap";
    this.canvas.setAttribute("aria-label", "overview of the diagram; click to move there");
    parent.appendChild(this.canvas);
    let dragging = false;
    const move = (e: PointerEvent) => {
      const r = this.canvas.getBoundingClientRect();
      this.goTo((e.clientX - r.left - this.offset.x) / this.scale, (e.clientY - r.top - this.offset.y) / this.scale);
    };
    this.canvas.addEventListener("pointerdown", (e) => {
      dragging = true;
      this.canvas.setPointerCapture(e.pointerId);
      move(e);
      e.stopPropagation();
    });
    this.canvas.addEventListener("pointermove", (e) => { if (dragging) move(e); });
    this.canvas.addEventListener("pointerup", () => { dragging = false; });
  }

  /** Paint the boxes of `layout` once (frames as outlines); `colors` gives overlay fills by id. */
  setLayout(layout: Layout, frames: ReadonlySet<string>, ink: string, colors: (id: string) => string | null): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, layout.width), h = Math.max(1, layout.height);
    this.scale = Math.min((MINIMAP_W - 8) / w, (MINIMAP_H - 8) / h);
    this.offset = { x: (MINIMAP_W - w * this.scale) / 2, y: (MINIMAP_H - h * this.scale) / 2 };
    const base = this.base ?? document.createElement("canvas");
    base.width = MINIMAP_W * dpr;
    base.height = MINIMAP_H * dpr;
    const ctx = base.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, MINIMAP_W, MINIMAP_H);
    ctx.globalAlpha = 0.75;
    for (const [id, b] of layout.boxes) {
      const x = this.offset.x + b.x * this.scale, y = this.offset.y + b.y * this.scale;
      const bw = Math.max(1, b.w * this.scale), bh = Math.max(1, b.h * this.scale);
      if (frames.has(id)) {
        ctx.strokeStyle = ink;
        ctx.lineWidth = 0.6;
        ctx.strokeRect(x, y, bw, bh);
      } else {
        ctx.fillStyle = colors(id) ?? ink;
        ctx.fillRect(x, y, bw, bh);
      }
    }
    this.base = base;
  }

  /** Draw the map with the part `view` (layout coordinates) the stage shows now. */
  show(view: Box, accent: string): void {
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== MINIMAP_W * dpr) {
      this.canvas.width = MINIMAP_W * dpr;
      this.canvas.height = MINIMAP_H * dpr;
      this.canvas.style.width = `${MINIMAP_W}px`;
      this.canvas.style.height = `${MINIMAP_H}px`;
    }
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.base) ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.strokeStyle = accent;
    ctx.lineWidth = 1.5;
    const x = this.offset.x + view.x * this.scale, y = this.offset.y + view.y * this.scale;
    ctx.strokeRect(Math.max(0.75, x), Math.max(0.75, y), Math.min(MINIMAP_W - 1.5, view.w * this.scale), Math.min(MINIMAP_H - 1.5, view.h * this.scale));
  }

  set hidden(value: boolean) {
    this.canvas.hidden = value;
  }
}
