import { describe, expect, it } from "vitest";
import { createLoader } from "../src/export/amd";

describe("the exported page's AMD loader", () => {
  it("resolves named and anonymous defines, with require/exports/module, lazily and once", () => {
    let current: string | null = null;
    const amd = createLoader(() => current);
    let built = 0;
    amd.define("base", ["module"], (module: { id: string }) => {
      built++;
      return { id: module.id };
    });
    current = "bqplot"; // what <script data-amd-module="bqplot"> gives an anonymous define
    amd.define(["base", "exports"], (base: { id: string }, exports: Record<string, unknown>) => {
      exports.Figure = `figure on ${base.id}`;
    });
    current = null;
    amd.define("plain", { answer: 42 });
    expect(built).toBe(0); // nothing runs before it is asked for
    expect(amd.load("bqplot")).toEqual({ Figure: "figure on base" });
    expect(amd.load("base")).toEqual({ id: "base" });
    expect(amd.load("plain")).toEqual({ answer: 42 });
    expect(built).toBe(1);
    expect(amd.names().sort()).toEqual(["base", "bqplot", "plain"]);
  });

  it("never fetches: a missing module is an error naming it, delivered to the errback", async () => {
    const amd = createLoader(() => null);
    expect(() => amd.load("@jupyter-widgets/nowhere")).toThrow('the module "@jupyter-widgets/nowhere" is not in this file');
    const error = await new Promise<Error>((resolve) => amd.require(["x"], () => undefined, resolve));
    expect(error.message).toContain('"x" is not in this file');
    expect(() => amd.define((): number => 1)).toThrow("anonymous define() outside a <script data-amd-module>");
  });

  it("calls back asynchronously, so modules defined after the call still count; first definition wins", async () => {
    const amd = createLoader(() => null);
    const got = new Promise<unknown[]>((resolve) => amd.require(["late", "dup"], (...m: unknown[]) => resolve(m)));
    amd.define("late", [], () => "late");
    amd.define("dup", [], () => "first");
    amd.define("dup", [], () => "second");
    expect(await got).toEqual(["late", "first"]);
    expect(amd.require.defined("late")).toBe(true);
  });

  it("hands a cycle its partial exports instead of recursing forever", () => {
    const amd = createLoader(() => null);
    amd.define("a", ["exports", "b"], (exports: Record<string, unknown>, b: { fromA: unknown }) => {
      exports.name = "a";
      exports.seenB = b.fromA;
    });
    amd.define("b", ["exports", "a"], (exports: Record<string, unknown>, a: Record<string, unknown>) => {
      exports.fromA = a.name; // a is still being built
    });
    expect(amd.load("a")).toEqual({ name: "a", seenB: undefined });
  });
});
