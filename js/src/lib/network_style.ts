// The NetworkDiagram's stylesheet: every colour a JupyterLab CSS variable with a light fallback, so
// a theme switch restyles the diagram without a redraw.
import { FONT_FAMILY } from "./network_labels";
import { injectStyle } from "./style";

const CSS = `
.ipx-network .ipx-net-toolbar { display: flex; align-items: center; gap: 6px; margin: 0 4px 4px 4px; flex-wrap: wrap; }
.ipx-network .ipx-net-search { font: inherit; font-size: 12px; width: 200px; padding: 2px 6px; border-radius: 2px;
  color: var(--jp-ui-font-color1, rgba(0,0,0,.87)); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bdbdbd); }
.ipx-network .ipx-net-matches { font-size: 11px; color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); min-width: 60px; }
.ipx-network .ipx-net-stage { position: relative; overflow: hidden; width: 100%; box-sizing: border-box;
  border: 1px solid var(--jp-border-color2, #e0e0e0); border-radius: 3px; background: var(--jp-layout-color0, #fff);
  cursor: grab; touch-action: none; user-select: none; }
.ipx-network .ipx-net-stage.ipx-net-panning { cursor: grabbing; }
.ipx-net-svg { display: block; width: 100%; height: 100%; font-family: ${FONT_FAMILY}; }
.ipx-net-box { fill: var(--jp-layout-color1, #fff); stroke: var(--jp-border-color1, #9e9e9e); stroke-width: 1; }
.ipx-net-k-stack .ipx-net-box { stroke: var(--jp-ui-font-color2, rgba(0,0,0,.54)); }
.ipx-net-stackback { fill: var(--jp-layout-color2, #eeeeee); stroke: var(--jp-border-color1, #9e9e9e); stroke-width: 1; }
.ipx-net-k-pill .ipx-net-box { fill: var(--jp-layout-color2, #eeeeee); stroke: var(--jp-border-color2, #bdbdbd); }
.ipx-net-k-io .ipx-net-box { stroke: var(--jp-brand-color1, #1976d2); stroke-width: 1.5; }
.ipx-net-svg text { text-anchor: middle; pointer-events: none; }
.ipx-net-title { font-size: 12px; font-weight: 600; fill: var(--jp-ui-font-color1, rgba(0,0,0,.87)); }
.ipx-net-sub, .ipx-net-op { font-size: 11px; fill: var(--jp-ui-font-color1, rgba(0,0,0,.87)); }
.ipx-net-sub { fill: var(--jp-ui-font-color2, rgba(0,0,0,.6)); }
.ipx-net-shape { font-size: 11px; fill: var(--jp-ui-font-color2, rgba(0,0,0,.6)); font-variant-numeric: tabular-nums; }
.ipx-net-toggle { font-size: 13px; font-weight: 700; fill: var(--jp-ui-font-color2, rgba(0,0,0,.6)); }
.ipx-net-colored .ipx-net-sub, .ipx-net-colored .ipx-net-shape { opacity: .85; }
.ipx-net-frame-box { fill: var(--jp-layout-color2, #eeeeee); fill-opacity: .35;
  stroke: var(--jp-border-color1, #bdbdbd); stroke-width: 1; }
.ipx-net-frame-head { fill: var(--jp-layout-color2, #eeeeee); stroke: var(--jp-border-color1, #bdbdbd);
  stroke-width: 1; cursor: pointer; }
.ipx-net-svg .ipx-net-frame-title { text-anchor: start; font-size: 11px; font-weight: 600;
  fill: var(--jp-ui-font-color1, rgba(0,0,0,.87)); }
.ipx-net-edge-line { fill: none; stroke: var(--jp-ui-font-color3, #9e9e9e); stroke-width: 1.3; }
.ipx-net-arrow { fill: var(--jp-ui-font-color3, #9e9e9e); }
.ipx-net-edge-hit { fill: none; stroke: transparent; stroke-width: 10; pointer-events: stroke; }
.ipx-net-edge:hover .ipx-net-edge-line { stroke: var(--jp-brand-color1, #1976d2); stroke-width: 2.2; }
.ipx-net-edges { transition: opacity 160ms; }
.ipx-net-node { cursor: pointer; }
.ipx-net-selected > .ipx-net-box, .ipx-net-selected > .ipx-net-frame-box {
  stroke: var(--jp-brand-color1, #1976d2); stroke-width: 2.5; }
.ipx-net-found > .ipx-net-box, .ipx-net-found > .ipx-net-frame-box { animation: ipx-net-flash 0.9s ease-out 2; }
@keyframes ipx-net-flash { 0% { stroke: var(--jp-warn-color1, #f57c00); stroke-width: 9; }
  100% { stroke: var(--jp-brand-color1, #1976d2); stroke-width: 2.5; } }
.ipx-net-minimap { position: absolute; right: 6px; bottom: 6px; border-radius: 3px; cursor: pointer;
  background: var(--jp-layout-color1, #fff); border: 1px solid var(--jp-border-color1, #bdbdbd);
  box-shadow: 0 1px 3px rgba(0,0,0,.2); }
.ipx-net-minimap[hidden], .ipx-net-legend[hidden], .ipx-net-legend-note[hidden] { display: none; }
.ipx-net-legend { position: absolute; left: 6px; top: 6px; padding: 4px 8px 3px 8px; border-radius: 3px;
  font-size: 11px; pointer-events: none; background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color2, #e0e0e0); color: var(--jp-ui-font-color1, rgba(0,0,0,.87)); }
.ipx-net-legend canvas { display: block; width: 160px; height: 10px; margin-top: 3px; }
.ipx-net-legend-ticks { position: relative; height: 14px; width: 160px; color: var(--jp-ui-font-color2, rgba(0,0,0,.6)); }
.ipx-net-legend-ticks span { position: absolute; top: 1px; transform: translateX(-50%); white-space: nowrap; }
.ipx-net-legend-title { font-weight: 600; }
.ipx-net-legend-note { color: var(--jp-ui-font-color2, rgba(0,0,0,.6)); margin-top: 1px; }
.ipx-net-legend-swatch { display: inline-block; width: 9px; height: 9px; margin-right: 4px; vertical-align: -1px; }
.ipx-network .ipx-net-notice { margin: 2px 4px; font-size: 11px; color: var(--jp-warn-color1, #e65100); }
.ipx-network .ipx-net-notice:empty { display: none; }
`;

export function ensureNetworkStyle(doc: Document = document): void {
  injectStyle("ipyexplain-network-style", CSS, doc);
}
