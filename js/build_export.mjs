// What `ipyexplain.save_html` inlines into an exported page, built into src/ipyexplain/static/export/:
//  - export_page.js: our AMD loader and the page's boot code (js/src/export/page.ts), one classic script;
//  - html_manager.js: @jupyter-widgets/html-manager's AMD build (the widget manager, the base widgets and
//    the ipywidgets controls with their CSS), without its ipywidgets-7 copies, which our state never asks
//    for, and without libembed-amd (its page scanner, CDN loader and JSON-schema validator: page.ts does that);
//  - fontawesome.css + fa-solid-900.woff2: the icons of ipywidgets buttons (`icon="search"`), inlined only
//    when a widget has one; the CSS without its @font-face rules (the page adds the solid face as data).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const OUT = "src/ipyexplain/static/export"; // a folder of its own: static/*.js are the views
mkdirSync(OUT, { recursive: true });

await build({
  entryPoints: ["js/src/export/page.ts"],
  outfile: `${OUT}/export_page.js`,
  bundle: true,
  format: "iife",
  minify: true,
  target: "es2020",
  logLevel: "info",
});

// embed-amd.js is six webpack builds concatenated, each one `define("<name>", [...], factory)` at a line start.
const KEEP = ["@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/html-manager"];
const DROP = ["@jupyter-widgets/base7", "@jupyter-widgets/controls7", "@jupyter-widgets/html-manager/dist/libembed-amd"];
const source = readFileSync(require.resolve("@jupyter-widgets/html-manager/dist/embed-amd.js"), "utf8");
const starts = [...source.matchAll(/^define\("([^"]+)"/gm)].map((m) => ({ name: m[1], at: m.index }));
const found = starts.map((s) => s.name).sort();
const expected = [...KEEP, ...DROP].sort();
if (JSON.stringify(found) !== JSON.stringify(expected)) {
  throw new Error(`html-manager's embed-amd.js defines ${found.join(", ")}; expected ${expected.join(", ")}`);
}
const blocks = starts.map((s, i) => ({ name: s.name, text: source.slice(s.at, starts[i + 1]?.at ?? source.length) }));
const kept = blocks
  .filter((b) => KEEP.includes(b.name))
  .map((b) => b.text.replace(/^\/\/# sourceMappingURL=.*$/gm, "").replace(/\/\*! For license information[^*]*\*\/\s*$/, ""))
  .join("\n");
const version = JSON.parse(readFileSync(require.resolve("@jupyter-widgets/html-manager/package.json"), "utf8")).version;
writeFileSync(
  `${OUT}/html_manager.js`,
  `/* @jupyter-widgets/html-manager ${version} (BSD-3-Clause), AMD build: ${KEEP.join(", ")} */\n${kept}\n`,
);
const fa = "@fortawesome/fontawesome-free";
copyFileSync(require.resolve(`${fa}/webfonts/fa-solid-900.woff2`), `${OUT}/fa-solid-900.woff2`);
const faCss = readFileSync(require.resolve(`${fa}/css/all.min.css`), "utf8").replace(/@font-face\{[^}]*\}/g, "");
if (/url\(/.test(faCss)) throw new Error(`${fa}/css/all.min.css still loads files after removing its @font-face rules`);
writeFileSync(`${OUT}/fontawesome.css`, faCss);
console.log(`  ${OUT}/html_manager.js  ${(kept.length / 1024).toFixed(0)}kb (html-manager ${version})`);
