// A minimal AMD loader for exported pages: every module is already in the page (inline scripts), so it only
// records `define()` calls and instantiates modules on `require()`. Nothing is ever fetched: asking for a
// module that is not in the page is an error, never a <script src>. (require.js would try the network.)
//
// Anonymous defines (the nbextension bundles of bqplot, anywidget, ...) take their name from the
// `data-amd-module` attribute of the inline <script> that runs them.

export type Factory = (...deps: unknown[]) => unknown;

interface Entry {
  deps: string[];
  factory: unknown;
  done: boolean;
  value: unknown;
  module: { id: string; uri: string; exports: unknown; config: () => object };
}

export interface Loader {
  define: ((...args: unknown[]) => void) & { amd: object };
  /** AMD's asynchronous `require(deps, onLoad, onError)`; also `require(name)` for a loaded module. */
  require: ((deps: string | string[], onLoad?: Factory, onError?: (err: Error) => void) => unknown) & {
    config(): void;
    defined(name: string): boolean;
    specified(name: string): boolean;
    undef(name: string): void;
  };
  /** The module's value, instantiating it (and its dependencies) on first use. */
  load(name: string): unknown;
  has(name: string): boolean;
  names(): string[];
}

export function createLoader(currentName: () => string | null): Loader {
  const registry = new Map<string, Entry>();

  const define = Object.assign(
    (...args: unknown[]): void => {
      const name = typeof args[0] === "string" ? (args.shift() as string) : currentName();
      const deps = Array.isArray(args[0]) ? (args.shift() as string[]) : ["require", "exports", "module"];
      if (!name) throw new Error("ipyexplain export: an anonymous define() outside a <script data-amd-module>");
      if (registry.has(name)) return; // the first definition wins, as in require.js
      const module = { id: name, uri: "", exports: {}, config: () => ({}) };
      registry.set(name, { deps, factory: args[0], done: false, value: undefined, module });
    },
    { amd: {} },
  );

  const loading: string[] = [];
  function load(name: string): unknown {
    const entry = registry.get(name);
    if (!entry) {
      throw new Error(`ipyexplain export: the module ${JSON.stringify(name)} is not in this file`);
    }
    if (entry.done) return entry.value;
    if (loading.includes(name)) return entry.module.exports; // a cycle: the partial exports, as AMD does
    loading.push(name);
    try {
      const args = entry.deps.map((dep) =>
        dep === "require" ? require : dep === "exports" ? entry.module.exports : dep === "module" ? entry.module
          : load(dep));
      const result = typeof entry.factory === "function" ? (entry.factory as Factory)(...args) : entry.factory;
      entry.value = result !== undefined ? result : entry.module.exports;
      entry.done = true;
      return entry.value;
    } finally {
      loading.pop();
    }
  }

  const require = Object.assign(
    (deps: string | string[], onLoad?: Factory, onError?: (err: Error) => void): unknown => {
      if (typeof deps === "string") return load(deps);
      // Asynchronous, as AMD promises: callers may define more modules before the callback runs.
      Promise.resolve().then(() => {
        let modules: unknown[];
        try {
          modules = deps.map(load);
        } catch (err) {
          if (onError) onError(err as Error);
          else throw err;
          return;
        }
        onLoad?.(...modules);
      });
      return undefined;
    },
    {
      config(): void {},
      defined: (name: string) => registry.get(name)?.done ?? false,
      specified: (name: string) => registry.has(name),
      undef: (name: string) => void registry.delete(name),
    },
  );

  return { define, require, load, has: (name) => registry.has(name), names: () => [...registry.keys()] };
}
