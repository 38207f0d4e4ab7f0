// The stylesheet shared by all views, added to the document once.
const CSS = `
.ipx-view { font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 12px;
  color: var(--jp-ui-font-color1, rgba(0,0,0,.87)); background: var(--jp-layout-color0, #fff);
  box-sizing: border-box; width: 100%; min-width: 0; padding: 4px 0; }
.ipx-title { font-size: 13px; font-weight: 600; margin: 0 0 4px 4px; min-height: 0; }
.ipx-title:empty { display: none; }
.ipx-stage { position: relative; width: 100%; user-select: none; }
.ipx-stage canvas { display: block; touch-action: none; }
.ipx-zoombox { position: absolute; display: none; pointer-events: none;
  border: 1px solid var(--jp-brand-color1, #1976d2); background: rgba(25, 118, 210, 0.12); }
.ipx-tooltip { position: absolute; left: 0; top: 0; pointer-events: none; z-index: 10; max-width: 320px;
  padding: 4px 7px; border-radius: 3px; font-size: 11px; line-height: 1.45; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; box-shadow: 0 1px 4px rgba(0,0,0,.3);
  color: var(--jp-ui-font-color1, rgba(0,0,0,.87)); background: var(--jp-layout-color1, #fff);
  border: 1px solid var(--jp-border-color1, #bdbdbd); }
.ipx-tooltip-key { color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); margin-right: 6px; }
.ipx-footer { display: flex; align-items: center; gap: 8px; margin: 2px 4px 0 4px; min-height: 20px;
  color: var(--jp-ui-font-color2, rgba(0,0,0,.54)); font-size: 11px; }
.ipx-status { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ipx-button { font: inherit; font-size: 11px; padding: 1px 8px; cursor: pointer; border-radius: 2px;
  color: var(--jp-ui-font-color1, rgba(0,0,0,.87)); background: var(--jp-layout-color2, #eee);
  border: 1px solid var(--jp-border-color1, #bdbdbd); }
.ipx-button[hidden] { display: none; }
.ipx-error { color: var(--jp-error-color1, #d32f2f); margin: 4px; white-space: pre-wrap; }
.ipx-error:empty { display: none; }
`;

/** Add a `<style id=id>` with `css` to the document once (every view of a kind shares it). */
export function injectStyle(id: string, css: string, doc: Document = document): void {
  if (doc.getElementById(id)) return;
  const style = doc.createElement("style");
  style.id = id;
  style.textContent = css;
  doc.head.appendChild(style);
}

export function ensureStyle(doc: Document = document): void {
  injectStyle("ipyexplain-style", CSS, doc);
}
