// TokenView: each sequence as wrapping text, every token's background coloured by its attribution,
// sub-word pieces joined into words, hover shows the exact score. Tokens are set as text, never HTML.
// Python side: src/ipyexplain/views/tokens.py.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { buildLut } from "../lib/colormap";
import { Redraws } from "../lib/frame";
import { colorbar, el, ensureDeepStyle, JOB_TRAITS, jobStateOf, type LiveJobTraits } from "../lib/live_job";
import { JobPanel } from "../lib/progress";
import { ensureStyle, injectStyle } from "../lib/style";
import { formatExact, formatNumber } from "../lib/text";
import { pieces, tokenColors, wordOf } from "../lib/tokens_words";
import { Tooltip } from "../lib/tooltip";
import { decode, type WireArray } from "../lib/wire";

interface TokensState extends LiveJobTraits {
  title: string;
  value_label: string;
  cmap: string;
  _tokens: string[][];
  _values: WireArray | null;
  _offsets: WireArray | null;
  _limits: WireArray | null;
  _labels: string[];
  _n_rows: number;
  _partial_flag: boolean;
  _frame: number;
}
type Model = AnyModel<TokensState>;

const CSS = `
.ipx-tokens-rows { display: flex; flex-direction: column; gap: 8px; margin: 0 4px; }
.ipx-tokens-row { display: grid; grid-template-columns: minmax(48px, max-content) 1fr; gap: 10px; align-items: baseline; }
.ipx-tokens-label { font-size: 11px; color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); white-space: nowrap; }
.ipx-tokens-text { font-size: 13px; line-height: 1.9; overflow-wrap: anywhere; }
.ipx-token { padding: 1px 1px; border-radius: 3px; cursor: default; white-space: pre-wrap;
  color: var(--jp-content-font-color1, rgba(0,0,0,.87)); }
.ipx-token.ipx-strong { color: #fff; }
.ipx-token.ipx-joined { border-left: 1px dotted var(--jp-ui-font-color3, rgba(0,0,0,.35)); border-top-left-radius: 0;
  border-bottom-left-radius: 0; margin-left: 0; }
.ipx-token.ipx-special { font-size: 10px; font-family: var(--jp-code-font-family, monospace);
  color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-token.ipx-pending { outline: 1px dashed var(--jp-border-color1, #bdbdbd); outline-offset: -1px; }
.ipx-token:hover { outline: 1.5px solid var(--jp-ui-font-color1, rgba(0,0,0,.87)); outline-offset: 0; }
`;

class TokensView {
  private root: HTMLDivElement;
  private titleText: HTMLSpanElement;
  private badge: HTMLSpanElement;
  private legend: HTMLDivElement;
  private rows: HTMLDivElement;
  private tooltip: Tooltip;
  private status: HTMLSpanElement;
  private job: JobPanel;
  private error: HTMLDivElement;
  private redraws: Redraws;

  constructor(private model: Model, host: HTMLElement) {
    ensureStyle();
    ensureDeepStyle();
    injectStyle("ipyexplain-style-tokens", CSS);
    this.root = el("div", "ipx-view ipx-tokens", host);
    this.root.style.position = "relative";
    const title = el("div", "ipx-title", this.root);
    this.titleText = el("span", "", title);
    this.badge = el("span", "ipx-badge", title);
    this.legend = el("div", "ipx-deep-controls", this.root);
    this.rows = el("div", "ipx-tokens-rows", this.root);
    this.tooltip = new Tooltip(this.root);
    const footer = el("div", "ipx-footer", this.root);
    this.status = el("span", "ipx-status", footer);
    this.job = new JobPanel(this.root, () => this.model.send({ event: "cancel" }));
    this.error = el("div", "ipx-error", this.root);
    this.error.setAttribute("role", "alert");
    this.redraws = new Redraws(model, this.root, () => this.draw(),
      (err) => { this.error.textContent = `ipyexplain TokenView could not draw: ${err.message}`; });
    this.redraws.on(["_frame", "title", "value_label", "cmap", "_partial_flag", ...JOB_TRAITS]);
  }

  destroy(): void {
    this.redraws.destroy();
  }

  private draw(): void {
    const m = this.model;
    this.titleText.textContent = m.get("title");
    const st = jobStateOf((k) => m.get(k));
    this.job.update(st);
    this.badge.textContent = m.get("_partial_flag") ? (st.status === "cancelled" ? "partial \u2014 cancelled" : "partial") : "";
    this.error.textContent = m.get("_error") ? `The job failed: ${m.get("_error")}` : "";
    const tokens = m.get("_tokens");
    const vw = m.get("_values"), ow = m.get("_offsets"), lw = m.get("_limits");
    if (!vw || !ow || !lw) {
      this.rows.replaceChildren();
      this.status.textContent = st.status === "running" ? "computing\u2026" : "no tokens";
      return;
    }
    const values = decode(vw).data, offsets = decode(ow).data, limits = decode(lw).data;
    const cmap = m.get("cmap"), label = m.get("value_label") || "attribution";
    this.legend.replaceChildren();
    const lim = limits[0] ?? 1;
    const sameLimit = Array.from(limits).every((v) => v === lim);
    const bar = colorbar(this.legend, buildLut(cmap), [`\u2212${formatNumber(lim)}`, "0", `+${formatNumber(lim)}`], 140);
    el("span", "", this.legend).textContent = `${label}${sameLimit ? "" : " (colour limit per row)"}: red raises the output, blue lowers it`;
    bar.title = label;
    const labels = m.get("_labels");
    const frag = document.createDocumentFragment();
    let pending = 0;
    tokens.forEach((row, r) => {
      const line = document.createElement("div");
      line.className = "ipx-tokens-row";
      const head = el("div", "ipx-tokens-label", line);
      head.textContent = labels[r] ?? `#${r}`;
      const text = el("div", "ipx-tokens-text", line);
      const all = pieces(row);
      const base = offsets[r];
      all.forEach((p, j) => {
        const value = values[base + j];
        if (p.space) text.appendChild(document.createTextNode(" "));
        const span = el("span", "ipx-token", text);
        span.textContent = p.text; // text, never HTML
        const { background, strong } = tokenColors(value, limits[r], cmap);
        span.style.background = background;
        span.classList.toggle("ipx-strong", strong);
        span.classList.toggle("ipx-joined", p.joined);
        span.classList.toggle("ipx-special", p.special);
        span.classList.toggle("ipx-pending", !Number.isFinite(value));
        if (!Number.isFinite(value)) pending++;
        span.dataset.row = String(r);
        span.dataset.index = String(j);
        span.dataset.value = Number.isFinite(value) ? String(value) : "";
        span.setAttribute("aria-label", `${p.raw}: ${Number.isFinite(value) ? formatNumber(value) : "not computed"}`);
        span.addEventListener("pointerenter", (e) => this.hover(e, p.raw, wordOf(all, j), value, j, label));
        span.addEventListener("pointerleave", () => this.tooltip.hide());
      });
      frag.appendChild(line);
    });
    this.rows.replaceChildren(frag);
    const n = m.get("_n_rows");
    const parts = [`${tokens.length} of ${n} sequence${n === 1 ? "" : "s"}`, `${values.length} tokens`];
    if (pending) parts.push(`${pending} not computed yet`);
    this.status.textContent = parts.join(" · ");
    this.root.dataset.frame = String(m.get("_frame"));
  }

  private hover(e: PointerEvent, raw: string, word: string, value: number, index: number, label: string): void {
    const lines: Array<[string, string]> = [["token", raw], ["position", String(index)]];
    if (word !== raw) lines.push(["word", word]);
    lines.push([label, Number.isFinite(value) ? formatExact(value) : "not computed yet"]);
    this.tooltip.showAt(lines, e);
  }
}

function render({ model, el: host }: RenderProps<TokensState>): () => void {
  const view = new TokensView(model, host);
  return () => view.destroy();
}

export default { render };
