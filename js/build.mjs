// One minified ESM bundle per view: js/src/views/<name>.ts -> src/ipyexplain/static/<name>.js
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

// `import source from "inline-worker:<package file>"`: that file's text, for a Web Worker started from
// a Blob URL (the network view's layout worker), so every bundle stays one self-contained module.
const require = createRequire(import.meta.url);
const inlineWorker = {
  name: "inline-worker",
  setup(b) {
    b.onResolve({ filter: /^inline-worker:/ }, (args) => ({
      path: require.resolve(args.path.slice("inline-worker:".length)), namespace: "inline-worker",
    }));
    b.onLoad({ filter: /.*/, namespace: "inline-worker" }, async (args) => ({
      contents: await readFile(args.path, "utf8"), loader: "text",
    }));
  },
};

const views = readdirSync("js/src/views").filter((f) => f.endsWith(".ts"));
await build({
  entryPoints: views.map((f) => `js/src/views/${f}`),
  outdir: "src/ipyexplain/static",
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  // Exported HTML pages load require.js; a UMD check for `define.amd` must not capture our module.
  define: { "define.amd": "false" },
  logLevel: "info",
  plugins: [inlineWorker],
});

// What an exported HTML page inlines (ipyexplain.save_html): see js/build_export.mjs.
await import("./build_export.mjs");
