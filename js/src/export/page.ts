// The boot script of a page written by `ipyexplain.save_html`: it installs the AMD loader, then, once the
// page is parsed, unpacks the gzipped parts (<script type="application/x-ipyexplain-gzip">, base64: the
// widget libraries and the widget state, a third of their size), runs the libraries in order, builds the
// models with @jupyter-widgets/html-manager and draws each view into its placeholder. Failures are shown in
// the page as text.
import { createLoader } from "./amd";

interface ModelState {
  model_name: string;
  model_module: string;
  model_module_version: string;
  state: Record<string, unknown>;
  buffers?: Array<{ path: Array<string | number>; data: string; encoding: "base64" }>;
}

export interface ExportData {
  state: { version_major: number; version_minor: number; state: Record<string, ModelState> };
  views: Array<{ model_id: string }>;
  /** Each distinct anywidget ES module once; `_esm: {"ipyexplain_esm": i}` in the state points here. */
  esm: string[];
}

interface WidgetModel { model_id: string }
interface HTMLManager {
  set_state(state: ExportData["state"]): Promise<WidgetModel[]>;
  create_view(model: WidgetModel): Promise<unknown>;
  display_view(view: unknown, el: HTMLElement): Promise<unknown>;
}
type HTMLManagerClass = new (options: { loader: (name: string, version: string) => Promise<unknown> }) => HTMLManager;

const loader = createLoader(() => {
  const script = document.currentScript;
  return script instanceof HTMLScriptElement ? script.dataset.amdModule ?? null : null;
});
const w = window as unknown as Record<string, unknown>;
w.define = loader.define;
w.require = w.requirejs = loader.require;

/** Put each anywidget model's ES module source back from the shared table. */
export function restoreEsm(data: ExportData): void {
  for (const model of Object.values(data.state.state)) {
    const ref = model.state._esm;
    if (ref && typeof ref === "object" && "ipyexplain_esm" in ref) {
      const source = data.esm[(ref as { ipyexplain_esm: number }).ipyexplain_esm];
      if (typeof source !== "string") throw new Error("exported state refers to a missing ES module");
      model.state._esm = source;
    }
  }
}

/** Remove @font-face rules that point at files (Font Awesome's, in html-manager's CSS): a saved page has only
 * itself, and the icon font it needs is inlined as data by the page. Runs as each style sheet arrives. */
export function dropFileFonts(doc: Document = document): number {
  let dropped = 0;
  for (const sheet of Array.from(doc.styleSheets)) {
    let rules: CSSRuleList;
    try {
      rules = sheet.cssRules;
    } catch {
      continue;
    }
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i];
      if (rule instanceof CSSFontFaceRule && /url\((?!\s*["']?data:)/.test(rule.cssText)) {
        sheet.deleteRule(i);
        dropped++;
      }
    }
  }
  return dropped;
}

export const PACKED = "application/x-ipyexplain-gzip";

/** The text of a packed part: base64 of gzip. */
export async function unpack(base64: string): Promise<string> {
  const binary = atob(base64.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

/** Run a library's code as a classic script (a blob: URL, which the page's policy allows); resolves once it ran. */
function runScript(code: string, amdModule: string | undefined): Promise<void> {
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const script = document.createElement("script");
  if (amdModule) script.dataset.amdModule = amdModule;
  script.src = url;
  return new Promise<void>((resolve, reject) => {
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`the bundled library ${amdModule ?? ""} could not run`));
    document.body.appendChild(script);
  }).finally(() => URL.revokeObjectURL(url));
}

function showError(where: HTMLElement, err: unknown): void {
  const box = document.createElement("pre");
  box.className = "ipx-export-error";
  box.textContent = `This view could not be drawn: ${err instanceof Error ? err.message : String(err)}`;
  where.appendChild(box);
  console.error("ipyexplain export:", err);
}

async function boot(): Promise<void> {
  const body = document.body;
  const slots = Array.from(document.querySelectorAll<HTMLElement>(".ipx-export-view"));
  try {
    if (typeof DecompressionStream === "undefined") {
      throw new Error("this browser cannot unpack the file (it needs DecompressionStream: Chrome/Edge 80+, "
        + "Firefox 113+, Safari 16.4+)");
    }
    const parts = Array.from(document.querySelectorAll<HTMLScriptElement>(`script[type="${PACKED}"]`));
    const texts = await Promise.all(parts.map((p) => unpack(p.textContent ?? "")));
    let data: ExportData | null = null;
    for (const [i, part] of parts.entries()) {
      if (part.id === "ipyexplain-export-data") data = JSON.parse(texts[i]) as ExportData;
      else await runScript(texts[i], part.dataset.amdModule); // in page order: html-manager first
    }
    if (!data) throw new Error("the page holds no widget state");
    restoreEsm(data);
    const hm = loader.load("@jupyter-widgets/html-manager") as { HTMLManager: HTMLManagerClass };
    const manager = new hm.HTMLManager({
      loader: (name, version) => loader.has(name)
        ? Promise.resolve(loader.load(name))
        : Promise.reject(new Error(`the JavaScript of widget module ${name}@${version} is not in this file`)),
    });
    const models = await manager.set_state(data.state);
    const drawn = await Promise.allSettled(data.views.map(async (spec, i) => {
      const slot = slots[i];
      const model = models.find((m) => m.model_id === spec.model_id);
      if (!slot || !model) throw new Error(`no model ${spec.model_id} in the exported state`);
      try {
        await manager.display_view(await manager.create_view(model), slot);
        // html-manager draws a widget it cannot build as an error view rather than failing.
        if (slot.querySelector(".jupyter-widgets-error-widget")) {
          throw new Error("a widget in it could not be built (its model or view class is missing)");
        }
      } catch (err) {
        showError(slot, err);
        throw err;
      }
    }));
    body.dataset.ipyexplainExport = drawn.every((r) => r.status === "fulfilled") ? "ready" : "error";
  } catch (err) {
    showError(slots[0] ?? body, err);
    body.dataset.ipyexplainExport = "error";
  }
}

if (typeof document !== "undefined" && document.querySelector(`script[type="${PACKED}"]`)) {
  // Mutation callbacks run before the next style recalculation, so no font request ever starts.
  new MutationObserver(() => dropFileFonts()).observe(document.head, { childList: true, subtree: true, characterData: true });
  document.addEventListener("DOMContentLoaded", () => void boot());
}
