// Batch-norm loops as WebAssembly SIMD, run directly on the tfjs wasm backend's
// heap (the module imports that backend's memory, so tensors are read and written
// in place, with no copies). Scalar JS manages ~4 ns per element and pass here;
// 4-lane SIMD without bounds checks is several times faster, and these passes
// were a quarter of a training step. The module is assembled below from a few
// dozen opcodes (no toolchain needed); channel counts must be multiples of 4
// (callers fall back to bn-math.ts otherwise).
//
// Functions (byte pointers; n pixels of C channels, channels-last):
//   stats(z, n, C, k, acc)         acc[c] += z-k[c], acc[C+c] += (z-k[c])^2
//   apply(z, r, s, t, y, n, C, relu) y = s*z + t (+ r if r != 0), max(.,0) if relu
//   grad1(dy, y, z, n, C, k, g, acc) g = dy masked by y>0 (if y != 0; g written only then),
//                                   acc[c] += g, acc[C+c] += g*(z-k[c])
//   grad2(g, z, a, b, d, dz, n, C)  dz = a*g + b + d*z

// ---- a minimal wasm assembler -------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = (n: number) => [0x41, ...sleb(n)];
const add = [0x6a];
const mul = [0x6c];
const geU = [0x4f];
const eqz = [0x45];
const simd = (op: number) => [0xfd, ...uleb(op)];
const vload = [...simd(0x00), 2, 0];
const vstore = [...simd(0x0b), 2, 0];
const fadd = simd(0xe4);
const fsub = simd(0xe5);
const fmul = simd(0xe6);
const fmax = simd(0xe9);
const fgt = simd(0x44);
const vand = simd(0x4e);
const vzero = [...simd(0x0c), ...new Array<number>(16).fill(0)];

/** for (v = from; v < to; v += step) body — `from`, `to`, `step` are code producing i32 */
function forLoop(v: number, from: number[], to: number[], step: number[], body: number[]): number[] {
  return [
    ...from, ...set(v),
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(v), ...to, ...geU, 0x0d, 1, // br_if out
    ...body,
    ...get(v), ...step, ...add, ...set(v),
    0x0c, 0, // br loop
    0x0b, 0x0b,
  ];
}

/** if (cond) a else b */
function ifElse(cond: number[], a: number[], b: number[]): number[] {
  return [...cond, 0x04, 0x40, ...a, 0x05, ...b, 0x0b];
}

interface FnSpec {
  name: string;
  params: number;
  i32Locals: number;
  v128Locals: number;
  body: number[];
}

function assemble(fns: FnSpec[]): Uint8Array {
  const section = (id: number, payload: number[]) => [id, ...uleb(payload.length), ...payload];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const str = (s: string) => [...uleb(s.length), ...Array.from(Buffer.from(s, 'utf8'))];
  const types = fns.map((f) => [0x60, ...uleb(f.params), ...new Array<number>(f.params).fill(I32), 0]);
  const imports = [[...str('env'), ...str('mem'), 0x02, 0x00, ...uleb(1)]];
  const funcs = fns.map((_, i) => uleb(i));
  const exports = fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]);
  const codes = fns.map((f) => {
    const locals: number[][] = [];
    if (f.i32Locals) locals.push([...uleb(f.i32Locals), I32]);
    if (f.v128Locals) locals.push([...uleb(f.v128Locals), V128]);
    const body = [...vec(locals), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcs)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}

// ---- the kernels ---------------------------------------------------------------

function statsFn(): FnSpec {
  // params: z0 n1 C2 k3 acc4 | locals: p5 end6 cb7 g8 | v9
  const [z, n, C, k, acc, p, end, cb, g] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const v = 9;
  const body = [
    ...get(C), ...i32(4), ...mul, ...set(cb),
    ...get(z), ...get(n), ...get(cb), ...mul, ...add, ...set(end),
    ...forLoop(p, get(z), get(end), get(cb),
      forLoop(g, i32(0), get(cb), i32(16), [
        ...get(p), ...get(g), ...add, ...vload, ...get(k), ...get(g), ...add, ...vload, ...fsub, ...set(v),
        ...get(acc), ...get(g), ...add,
        ...get(acc), ...get(g), ...add, ...vload, ...get(v), ...fadd, ...vstore,
        ...get(acc), ...get(cb), ...add, ...get(g), ...add,
        ...get(acc), ...get(cb), ...add, ...get(g), ...add, ...vload, ...get(v), ...get(v), ...fmul, ...fadd, ...vstore,
      ])),
  ];
  return { name: 'stats', params: 5, i32Locals: 4, v128Locals: 1, body };
}

function applyFn(): FnSpec {
  // params: z0 r1 s2 t3 y4 n5 C6 relu7 | locals: p8 end9 cb10 g11 off12 | v13
  const [z, r, s, t, y, n, C, relu, p, end, cb, g, off] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const v = 13;
  const value = [...get(p), ...get(g), ...add, ...vload, ...get(s), ...get(g), ...add, ...vload, ...fmul, ...get(t), ...get(g), ...add, ...vload, ...fadd];
  const store = (withR: boolean, withRelu: boolean) =>
    forLoop(p, get(z), get(end), get(cb),
      forLoop(g, i32(0), get(cb), i32(16), [
        ...value,
        ...(withR ? [...get(p), ...get(off), ...add, ...get(g), ...add, ...vload, ...fadd] : []),
        ...(withRelu ? [...vzero, ...fmax] : []),
        ...set(v),
        ...get(p), ...get(y), ...add, ...get(z), ...i32(-1), ...mul, ...add, ...get(g), ...add, ...get(v), ...vstore,
      ]));
  const body = [
    ...get(C), ...i32(4), ...mul, ...set(cb),
    ...get(z), ...get(n), ...get(cb), ...mul, ...add, ...set(end),
    // r - z: the residual's offset from z, so r's address is p + off
    ...get(r), ...get(z), ...i32(-1), ...mul, ...add, ...set(off),
    ...ifElse([...get(r), ...eqz],
      ifElse([...get(relu), ...eqz], store(false, false), store(false, true)),
      ifElse([...get(relu), ...eqz], store(true, false), store(true, true))),
  ];
  return { name: 'apply', params: 8, i32Locals: 5, v128Locals: 1, body };
}

function grad1Fn(): FnSpec {
  // params: dy0 y1 z2 n3 C4 k5 gout6 acc7 | locals: p8 end9 cb10 c11 dyOff? (i12 = p-dy) | v13 (g), v14 (zc)
  const [dy, y, z, n, C, k, gout, acc, p, end, cb, c, rel] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const gv = 13;
  const zc = 14;
  // p walks dy; rel = p - dy is the byte offset shared by every array
  const at = (base: number) => [...get(base), ...get(rel), ...add, ...get(c), ...add];
  const inner = (masked: boolean) =>
    forLoop(p, get(dy), get(end), get(cb), [
      ...get(p), ...get(dy), ...i32(-1), ...mul, ...add, ...set(rel),
      ...forLoop(c, i32(0), get(cb), i32(16), [
        ...get(p), ...get(c), ...add, ...vload,
        ...(masked ? [...at(y), ...vload, ...vzero, ...fgt, ...vand] : []),
        ...set(gv),
        ...(masked ? [...at(gout), ...get(gv), ...vstore] : []),
        ...at(z), ...vload, ...get(k), ...get(c), ...add, ...vload, ...fsub, ...set(zc),
        ...get(acc), ...get(c), ...add,
        ...get(acc), ...get(c), ...add, ...vload, ...get(gv), ...fadd, ...vstore,
        ...get(acc), ...get(cb), ...add, ...get(c), ...add,
        ...get(acc), ...get(cb), ...add, ...get(c), ...add, ...vload, ...get(gv), ...get(zc), ...fmul, ...fadd, ...vstore,
      ]),
    ]);
  const body = [
    ...get(C), ...i32(4), ...mul, ...set(cb),
    ...get(dy), ...get(n), ...get(cb), ...mul, ...add, ...set(end),
    ...ifElse([...get(y), ...eqz], inner(false), inner(true)),
  ];
  return { name: 'grad1', params: 8, i32Locals: 5, v128Locals: 2, body };
}

function grad2Fn(): FnSpec {
  // params: g0 z1 a2 b3 d4 dz5 n6 C7 | locals: p8 end9 cb10 c11 rel12
  const [g, z, a, b, d, dz, n, C, p, end, cb, c, rel] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const at = (base: number) => [...get(base), ...get(rel), ...add, ...get(c), ...add];
  const vec = (base: number) => [...get(base), ...get(c), ...add, ...vload];
  const body = [
    ...get(C), ...i32(4), ...mul, ...set(cb),
    ...get(g), ...get(n), ...get(cb), ...mul, ...add, ...set(end),
    ...forLoop(p, get(g), get(end), get(cb), [
      ...get(p), ...get(g), ...i32(-1), ...mul, ...add, ...set(rel),
      ...forLoop(c, i32(0), get(cb), i32(16), [
        ...at(dz),
        ...get(p), ...get(c), ...add, ...vload, ...vec(a), ...fmul,
        ...vec(b), ...fadd,
        ...at(z), ...vload, ...vec(d), ...fmul, ...fadd,
        ...vstore,
      ]),
    ]),
  ];
  return { name: 'grad2', params: 8, i32Locals: 5, v128Locals: 0, body };
}

export interface SimdBn {
  stats(z: number, n: number, C: number, k: number, acc: number): void;
  apply(z: number, r: number, s: number, t: number, y: number, n: number, C: number, relu: number): void;
  grad1(dy: number, y: number, z: number, n: number, C: number, k: number, g: number, acc: number): void;
  grad2(g: number, z: number, a: number, b: number, d: number, dz: number, n: number, C: number): void;
}

/** A WebAssembly.Memory (the project's TypeScript libs carry no WebAssembly types). */
export type WasmMemory = { readonly buffer: ArrayBuffer };
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<WasmMemory, SimdBn>();

/** The kernels bound to `memory`, or null where this runtime has no wasm SIMD. */
export function simdBn(memory: WasmMemory): SimdBn | null {
  if (compiled === undefined) {
    try {
      compiled = new WA.Module(assemble([statsFn(), applyFn(), grad1Fn(), grad2Fn()]));
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return null;
  let inst = instances.get(memory);
  if (!inst) {
    inst = new WA.Instance(compiled, { env: { mem: memory } }).exports as SimdBn;
    instances.set(memory, inst);
  }
  return inst;
}
