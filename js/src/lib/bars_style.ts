// The ImportanceBars stylesheet (on top of lib/style.ts), added once.
import { injectStyle } from "./style";

const CSS = `
.ipx-bars .ipx-svg { display: block; overflow: visible; font-family: var(--jp-ui-font-family, system-ui, sans-serif); }
.ipx-bars .ipx-svg:focus { outline: none; }
.ipx-empty { display: flex; align-items: center; justify-content: center; height: 120px; margin: 0 4px;
  border: 1px dashed var(--jp-border-color2, #e0e0e0); border-radius: 3px; font-size: 12px;
  color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-empty[hidden] { display: none; }
.ipx-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0 4px 4px 4px; font-size: 11px;
  color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-legend:empty { display: none; }
.ipx-legend-item { display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }
.ipx-swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; }
.ipx-whisker-glyph { display: inline-block; width: 16px; height: 8px; border-left: 1.5px solid currentColor;
  border-right: 1.5px solid currentColor; background: linear-gradient(currentColor, currentColor) center / 100% 1.5px no-repeat; }
.ipx-bar { cursor: pointer; }
.ipx-bar.ipx-other { cursor: default; }
.ipx-bar-band { fill: transparent; }
.ipx-bar:hover .ipx-bar-band { fill: var(--jp-layout-color2, rgba(0,0,0,.05)); }
.ipx-bar:focus { outline: none; }
.ipx-bar:focus .ipx-bar-band { stroke: var(--jp-brand-color1, #1976d2); stroke-width: 1.5px; stroke-dasharray: 3 2; }
.ipx-bar.ipx-selected .ipx-bar-rect { stroke: var(--jp-ui-font-color0, #000); stroke-width: 2px; }
.ipx-bar.ipx-selected .ipx-bar-name { font-weight: 700; }
.ipx-bar.ipx-other .ipx-bar-name { font-style: italic; }
.ipx-bar-feature { fill: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-partial-badge { display: inline-block; margin-left: 8px; padding: 0 6px; border-radius: 8px; font-size: 10px;
  font-weight: 600; vertical-align: middle; color: var(--jp-layout-color0, #fff); background: var(--jp-warn-color1, #f57c00); }
.ipx-job { display: flex; align-items: center; gap: 8px; margin: 4px 4px 0 4px; font-size: 11px;
  color: var(--jp-ui-font-color1, rgba(0,0,0,.87)); }
.ipx-job[hidden] { display: none; }
.ipx-progress { position: relative; flex: 0 0 140px; height: 6px; border-radius: 3px; overflow: hidden;
  background: var(--jp-layout-color3, #e0e0e0); }
.ipx-progress-fill { position: absolute; left: 0; top: 0; bottom: 0; width: 0; border-radius: 3px;
  background: var(--jp-brand-color1, #1976d2); transition: width .25s ease-out; }
.ipx-progress-unknown .ipx-progress-fill { animation: ipx-indeterminate 1.2s ease-in-out infinite; }
@keyframes ipx-indeterminate { from { left: -30%; } to { left: 100%; } }
.ipx-job[data-status="cancelled"] .ipx-progress-fill { background: var(--jp-warn-color1, #f57c00); }
.ipx-job[data-status="error"] .ipx-progress-fill { background: var(--jp-error-color1, #d32f2f); }
.ipx-job[data-status="cancelled"] .ipx-job-text { color: var(--jp-warn-color0, #e65100); font-weight: 600; }
.ipx-job-text { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
@media (prefers-reduced-motion: reduce) { .ipx-progress-fill { transition: none; animation: none; } }
`;

export function ensureBarsStyle(doc: Document = document): void {
  injectStyle("ipyexplain-style-bars", CSS, doc);
}
