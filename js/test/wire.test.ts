import { describe, expect, it } from "vitest";
import { decode, encode } from "../src/lib/wire";

describe("decode", () => {
  it("reads a DataView at a non-zero, unaligned byte offset", () => {
    const values = new Float32Array([1.5, -2, Number.NaN, Infinity]);
    const message = new Uint8Array(3 + values.byteLength); // 3 bytes of something else first
    message.set(new Uint8Array(values.buffer), 3);
    const view = new DataView(message.buffer, 3, values.byteLength);
    const out = decode({ dtype: "float32", shape: [2, 2], buffer: view });
    expect(out.shape).toEqual([2, 2]);
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(Array.from(out.data.slice(0, 2))).toEqual([1.5, -2]);
    expect(Number.isNaN(out.data[2])).toBe(true);
    expect(out.data[3]).toBe(Infinity);
  });

  it.each([
    ["int8", Int8Array], ["int16", Int16Array], ["int32", Int32Array], ["uint8", Uint8Array],
    ["uint16", Uint16Array], ["uint32", Uint32Array], ["float64", Float64Array],
  ] as const)("returns the typed array for %s", (dtype, Ctor) => {
    const src = new Ctor([1, 2, 3, 4, 5, 6]);
    const out = decode({ dtype, shape: [3, 2], buffer: src.buffer });
    expect(out.data).toBeInstanceOf(Ctor);
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("copies, so the result does not alias the message buffer", () => {
    const src = new Float32Array([1, 2]);
    const out = decode({ dtype: "float32", shape: [2], buffer: new DataView(src.buffer) });
    src[0] = 99;
    expect(out.data[0]).toBe(1);
  });

  it("rejects a buffer whose size does not match the shape", () => {
    expect(() => decode({ dtype: "float32", shape: [3], buffer: new ArrayBuffer(8) })).toThrow(/needs 12 bytes/);
  });

  it("rejects an unknown dtype", () => {
    // @ts-expect-error: testing a dtype the kernel never sends
    expect(() => decode({ dtype: "complex64", shape: [1], buffer: new ArrayBuffer(8) })).toThrow(/unknown/);
  });

  it("round-trips through encode", () => {
    const data = new Int16Array([7, -8, 9]);
    const out = decode(encode(data, [3]));
    expect(Array.from(out.data)).toEqual([7, -8, 9]);
  });
});
