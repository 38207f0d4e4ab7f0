// One minified ESM bundle per view: js/src/views/<name>.ts -> src/ipyexplain/static/<name>.js
import { build } from "esbuild";
import { readdirSync } from "node:fs";

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
});
