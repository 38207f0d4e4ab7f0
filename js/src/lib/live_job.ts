// The job traits every LiveView (src/ipyexplain/views/_live.py) syncs, read into a JobState,
// plus the styles shared by the deep-model views (image overlay, tokens, attention, actmax).
import { ensureBarsStyle } from "./bars_style";
import type { JobState, JobStatus } from "./progress";
import { injectStyle } from "./style";

export interface LiveJobTraits {
  _job_status: string;
  _done: number;
  _total: number;
  _elapsed: number;
  _eta: number | null;
  _error: string;
  _unit: string;
}

export const JOB_TRAITS = ["_job_status", "_done", "_total", "_elapsed", "_eta", "_error", "_unit"];

export function jobStateOf(get: <K extends keyof LiveJobTraits>(k: K) => LiveJobTraits[K]): JobState {
  return {
    status: get("_job_status") as JobStatus,
    done: get("_done"),
    total: get("_total"),
    elapsed: get("_elapsed"),
    eta: get("_eta"),
    unit: get("_unit") || "steps",
  };
}

const CSS = `
.ipx-deep-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; margin: 0 4px 6px 4px;
  font-size: 11px; color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-deep-controls label { display: inline-flex; align-items: center; gap: 6px; }
.ipx-deep-controls input[type=range] { width: 110px; accent-color: var(--jp-brand-color1, #1976d2); }
.ipx-deep-controls select { font: inherit; font-size: 11px; color: var(--jp-ui-font-color1, rgba(0,0,0,.87));
  background: var(--jp-layout-color1, #fff); border: 1px solid var(--jp-border-color1, #bdbdbd); border-radius: 2px; }
.ipx-seg { display: inline-flex; border: 1px solid var(--jp-border-color1, #bdbdbd); border-radius: 3px; overflow: hidden; }
.ipx-seg button { font: inherit; font-size: 11px; padding: 1px 9px; border: 0; cursor: pointer;
  color: var(--jp-ui-font-color1, rgba(0,0,0,.87)); background: var(--jp-layout-color1, #fff); }
.ipx-seg button + button { border-left: 1px solid var(--jp-border-color1, #bdbdbd); }
.ipx-seg button[aria-pressed="true"] { color: var(--jp-ui-inverse-font-color0, #fff);
  background: var(--jp-brand-color1, #1976d2); }
.ipx-colorbar { display: flex; flex-direction: column; gap: 1px; font-size: 10px;
  color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-colorbar canvas { display: block; height: 8px; border-radius: 2px; }
.ipx-colorbar-ticks { display: flex; justify-content: space-between; font-variant-numeric: tabular-nums; }
.ipx-badge { display: inline-block; margin-left: 8px; padding: 0 6px; border-radius: 8px; font-size: 10px;
  font-weight: 600; vertical-align: middle; color: var(--jp-layout-color0, #fff); background: var(--jp-warn-color1, #f57c00); }
.ipx-badge:empty { display: none; }
`;

export function ensureDeepStyle(doc: Document = document): void {
  ensureBarsStyle(doc); // the job panel's progress bar and Cancel button
  injectStyle("ipyexplain-style-deep", CSS, doc);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent: HTMLElement): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  parent.appendChild(node);
  return node;
}

/** A horizontal colour bar (canvas) with its ticks as text. */
export function colorbar(parent: HTMLElement, lut: Uint8Array, ticks: string[], widthPx: number): HTMLDivElement {
  const box = el("div", "ipx-colorbar", parent);
  const canvas = el("canvas", "", box);
  canvas.width = 128;
  canvas.height = 1;
  canvas.style.width = `${widthPx}px`;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(128, 1);
  for (let i = 0; i < 128; i++) {
    const k = Math.floor((i / 127) * 255) * 3;
    img.data.set([lut[k], lut[k + 1], lut[k + 2], 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  const row = el("div", "ipx-colorbar-ticks", box);
  row.style.width = `${widthPx}px`;
  for (const t of ticks) el("span", "", row).textContent = t;
  return box;
}

/** A two-or-more-way toggle (segmented buttons); `onPick` gets the chosen value. */
export function segmented(parent: HTMLElement, label: string, options: Array<[string, string]>,
  onPick: (value: string) => void): { set(value: string): void; buttons: HTMLButtonElement[] } {
  const wrap = el("span", "ipx-seg", parent);
  wrap.setAttribute("role", "group");
  wrap.setAttribute("aria-label", label);
  const buttons = options.map(([value, text]) => {
    const b = el("button", "", wrap);
    b.type = "button";
    b.textContent = text;
    b.dataset.value = value;
    b.addEventListener("click", () => onPick(value));
    return b;
  });
  return {
    buttons,
    set(value: string) {
      for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.value === value));
    },
  };
}
