// Modules made by js/build.mjs: a file's source as a string (for a Web Worker's Blob URL).
declare module "inline-worker:*" {
  const source: string;
  export default source;
}
