// Wire -> typed array: the TypeScript twin of src/ipyexplain/_transport.py.
export type WireDtype = "float32" | "float64" | "int8" | "int16" | "int32" | "uint8" | "uint16" | "uint32";

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** What ipywidgets hands us: the JSON part, with the binary frame put back at `buffer`. */
export interface WireArray {
  dtype: WireDtype;
  shape: number[];
  buffer: DataView | ArrayBuffer | ArrayBufferView;
}

export interface NdArray {
  data: TypedArray;
  shape: number[];
}

const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
} as const;

function bytesOf(buffer: WireArray["buffer"]): Uint8Array {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  // A DataView usually points into a larger message buffer at some offset: honour it.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Decode a wire array. Copies the bytes so the result is aligned whatever the source offset. */
export function decode(wire: WireArray): NdArray {
  const Ctor = CONSTRUCTORS[wire.dtype];
  if (Ctor === undefined) throw new Error(`unknown array dtype ${JSON.stringify(wire.dtype)}`);
  const bytes = bytesOf(wire.buffer);
  const count = wire.shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== count * Ctor.BYTES_PER_ELEMENT) {
    throw new Error(
      `array of shape [${wire.shape.join(", ")}] and dtype ${wire.dtype} needs ` +
        `${count * Ctor.BYTES_PER_ELEMENT} bytes; received ${bytes.byteLength}`,
    );
  }
  const aligned = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(aligned).set(bytes);
  return { data: new Ctor(aligned), shape: wire.shape.slice() };
}

/** Encode a typed array for the kernel (browser -> kernel is rare: selections, not data). */
export function encode(data: TypedArray, shape: number[]): WireArray {
  const dtype = (Object.keys(CONSTRUCTORS) as WireDtype[]).find((k) => data instanceof CONSTRUCTORS[k]);
  if (dtype === undefined) throw new Error("unsupported typed array");
  return { dtype, shape, buffer: new DataView(data.buffer, data.byteOffset, data.byteLength) };
}
