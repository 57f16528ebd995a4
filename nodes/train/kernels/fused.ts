// Fused batch-norm kernels for the training engine, registered for the wasm and cpu
// backends. tfjs composes a training batch norm from ~6 ops forward and ~20 backward
// (each a full pass over the activation, several with Tile broadcasts); these do
// the same work in two passes each way, reading and writing the backend's memory
// in place: on wasm with the SIMD loops of simd.ts (channel counts divisible by 4),
// otherwise (cpu backend, odd channel counts) with the scalar ones of bn-math.ts.
//
//   SoftlabBnTrain  (z, gamma, beta[, r]) -> y = act(gamma*(z-mean)*invstd + beta [+ r]), stats [3, C]
//   SoftlabBnApply  (z, scale, shift[, r]) -> y = act(scale*z + shift [+ r])      (inference)
//   SoftlabBnGrad   (dy, z, stats, gamma[, y]) -> dz, dgamma, dbeta[, dr]
//   SoftlabInterleave (p0, p1, ...) -> the phases of a strided input gradient, scattered (layout.ts)
// `stats` rows: batch mean, biased variance, 1/sqrt(var + eps). Channels are the last axis.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { bnApply, bnGrad, bnStats, type BnGradOut } from './bn-math.js';
import { interleave, type Phase } from './layout.js';
import { simdBn, type SimdBn, type WasmMemory } from './simd.js';

export const BN_TRAIN = 'SoftlabBnTrain';
export const BN_APPLY = 'SoftlabBnApply';
export const BN_GRAD = 'SoftlabBnGrad';
export const INTERLEAVE = 'SoftlabInterleave';

/** The little a kernel needs from a backend: read an input's floats, allocate outputs. */
interface MemoryAccess {
  /** allocate all outputs first, then fetch views: a wasm heap growth detaches older views */
  alloc(shapes: number[][]): TensorInfo[];
  view(info: TensorInfo): Float32Array;
}

type AnyBackend = {
  // wasm
  makeOutput?: (shape: number[], dtype: 'float32') => TensorInfo;
  typedArrayFromHeap?: (info: TensorInfo) => Float32Array;
  // cpu
  data?: { get(dataId: object): { values: unknown } };
  makeTensorInfo?: (shape: number[], dtype: 'float32', values: Float32Array) => TensorInfo;
};

function memoryOf(backend: AnyBackend): MemoryAccess {
  if (backend.makeOutput && backend.typedArrayFromHeap) {
    const b = backend as Required<Pick<AnyBackend, 'makeOutput' | 'typedArrayFromHeap'>>;
    return {
      alloc: (shapes) => shapes.map((s) => b.makeOutput(s, 'float32')),
      view: (info) => b.typedArrayFromHeap(info),
    };
  }
  if (backend.data && backend.makeTensorInfo) {
    const b = backend as Required<Pick<AnyBackend, 'data' | 'makeTensorInfo'>>;
    return {
      alloc: (shapes) => shapes.map((s) => b.makeTensorInfo(s, 'float32', new Float32Array(s.reduce((p, d) => p * d, 1)))),
      view: (info) => {
        const v = b.data.get(info.dataId).values;
        if (!(v instanceof Float32Array)) throw new Error('softlab fused kernels need float32 tensors');
        return v;
      },
    };
  }
  throw new Error('softlab fused kernels run on the wasm and cpu backends only');
}

/** The wasm backend's heap, for the SIMD kernels (null on cpu or without wasm SIMD). */
interface WasmHeap {
  bn: SimdBn;
  ptr(info: TensorInfo): number;
  malloc(bytes: number): number;
  free(ptr: number): void;
  f32(): Float32Array;
}

type WasmBackendLike = {
  wasm?: { asm?: { memory?: WasmMemory }; _malloc(n: number): number; _free(p: number): void; HEAPF32: Float32Array };
  dataIdMap?: { get(dataId: object): { memoryOffset: number } };
};

function wasmHeapOf(backend: unknown): WasmHeap | null {
  const b = backend as WasmBackendLike;
  const memory = b.wasm?.asm?.memory;
  if (!memory || !b.dataIdMap) return null;
  const bn = simdBn(memory);
  if (!bn) return null;
  const w = b.wasm!;
  return {
    bn,
    ptr: (info) => b.dataIdMap!.get(info.dataId).memoryOffset,
    malloc: (n) => w._malloc(n),
    free: (p) => w._free(p),
    f32: () => w.HEAPF32,
  };
}

/** Pixels per SIMD call while summing: float32 partial sums stay short, float64 adds them up. */
const CHUNK = 1024;

function checkFloat(...infos: (TensorInfo | undefined)[]): void {
  for (const i of infos) if (i && i.dtype !== 'float32') throw new Error(`softlab fused kernels need float32 tensors, got ${i.dtype}`);
}

function bnTrainKernel({ inputs, attrs, backend }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo[] {
  const { z, gamma, beta, r } = inputs as { z: TensorInfo; gamma: TensorInfo; beta: TensorInfo; r?: TensorInfo };
  const { relu, epsilon } = attrs as unknown as { relu: boolean; epsilon: number };
  checkFloat(z, gamma, beta, r);
  const C = z.shape[z.shape.length - 1];
  const mem = memoryOf(backend as AnyBackend);
  const [y, stats] = mem.alloc([z.shape, [3, C]]);
  const heap = C % 4 === 0 ? wasmHeapOf(backend) : null;
  if (heap) {
    simdTrain(heap, mem, z, r, y, stats, mem.view(gamma), mem.view(beta), C, relu, epsilon);
    return [y, stats];
  }
  const zv = mem.view(z);
  const sv = mem.view(stats);
  bnStats(zv, C, epsilon, sv);
  const gv = mem.view(gamma);
  const bv = mem.view(beta);
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = gv[c] * sv[2 * C + c];
    shift[c] = bv[c] - sv[c] * scale[c];
  }
  bnApply(zv, C, scale, shift, r ? mem.view(r) : null, relu, mem.view(y));
  return [y, stats];
}

/** Forward batch norm with the SIMD kernels: shifted sums per chunk, then one apply pass. */
function simdTrain(
  heap: WasmHeap,
  mem: MemoryAccess,
  z: TensorInfo,
  r: TensorInfo | undefined,
  y: TensorInfo,
  stats: TensorInfo,
  gamma: Float32Array,
  beta: Float32Array,
  C: number,
  relu: boolean,
  eps: number,
): void {
  const n = z.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const zp = heap.ptr(z);
  // scratch: k[C] acc[2C] scale[C] shift[C]
  const scratch = heap.malloc(5 * C * 4);
  try {
    const k = scratch;
    const acc = scratch + C * 4;
    const sp = scratch + 3 * C * 4;
    const tp = scratch + 4 * C * 4;
    const base = scratch >> 2;
    let h = heap.f32();
    const zf = zp >> 2;
    for (let c = 0; c < C; c++) h[base + c] = h[zf + c]; // shift by the first pixel: no cancellation in var
    const s1 = new Float64Array(C);
    const s2 = new Float64Array(C);
    for (let start = 0; start < n; start += CHUNK) {
      const len = Math.min(CHUNK, n - start);
      h.fill(0, base + C, base + 3 * C);
      heap.bn.stats(zp + start * C * 4, len, C, k, acc);
      for (let c = 0; c < C; c++) {
        s1[c] += h[base + C + c];
        s2[c] += h[base + 2 * C + c];
      }
    }
    const sv = mem.view(stats);
    h = heap.f32();
    for (let c = 0; c < C; c++) {
      const d = s1[c] / n;
      const mean = h[base + c] + d;
      const v = Math.max(s2[c] / n - d * d, 0);
      const inv = 1 / Math.sqrt(v + eps);
      sv[c] = mean;
      sv[C + c] = v;
      sv[2 * C + c] = inv;
      const sc = gamma[c] * inv;
      h[base + 3 * C + c] = sc;
      h[base + 4 * C + c] = beta[c] - mean * sc;
    }
    heap.bn.apply(zp, r ? heap.ptr(r) : 0, sp, tp, heap.ptr(y), n, C, relu ? 1 : 0);
  } finally {
    heap.free(scratch);
  }
}

function bnApplyKernel({ inputs, attrs, backend }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const { z, scale, shift, r } = inputs as { z: TensorInfo; scale: TensorInfo; shift: TensorInfo; r?: TensorInfo };
  const { relu } = attrs as unknown as { relu: boolean };
  checkFloat(z, scale, shift, r);
  const C = z.shape[z.shape.length - 1];
  const mem = memoryOf(backend as AnyBackend);
  const [y] = mem.alloc([z.shape]);
  const heap = C % 4 === 0 ? wasmHeapOf(backend) : null;
  if (heap) {
    const n = z.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    heap.bn.apply(heap.ptr(z), r ? heap.ptr(r) : 0, heap.ptr(scale), heap.ptr(shift), heap.ptr(y), n, C, relu ? 1 : 0);
    return y;
  }
  bnApply(mem.view(z), C, mem.view(scale), mem.view(shift), r ? mem.view(r) : null, relu, mem.view(y));
  return y;
}

function bnGradKernel({ inputs, attrs, backend }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo[] {
  const { dy, z, stats, gamma, y } = inputs as { dy: TensorInfo; z: TensorInfo; stats: TensorInfo; gamma: TensorInfo; y?: TensorInfo };
  const { relu, residual } = attrs as unknown as { relu: boolean; residual: boolean };
  checkFloat(dy, z, stats, gamma, y);
  if (relu && !y) throw new Error(`${BN_GRAD}: relu needs the forward output y`);
  const C = z.shape[z.shape.length - 1];
  const mem = memoryOf(backend as AnyBackend);
  const wantDr = residual && relu;
  const outs = mem.alloc(wantDr ? [z.shape, [C], [C], z.shape] : [z.shape, [C], [C]]);
  const heap = C % 4 === 0 ? wasmHeapOf(backend) : null;
  if (heap) {
    simdGrad(heap, mem, dy, relu ? y! : null, z, mem.view(stats), mem.view(gamma), C, outs);
    return outs;
  }
  const o: BnGradOut = { dz: mem.view(outs[0]), dgamma: mem.view(outs[1]), dbeta: mem.view(outs[2]), dr: wantDr ? mem.view(outs[3]) : null };
  bnGrad(mem.view(dy), relu ? mem.view(y!) : null, mem.view(z), mem.view(stats), mem.view(gamma), C, o);
  return outs;
}

/** Backward batch norm with the SIMD kernels: masked sums per chunk, then dz = a*g + b + d*z. */
function simdGrad(
  heap: WasmHeap,
  mem: MemoryAccess,
  dy: TensorInfo,
  y: TensorInfo | null,
  z: TensorInfo,
  stats: Float32Array,
  gamma: Float32Array,
  C: number,
  outs: TensorInfo[],
): void {
  const n = z.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  // the masked gradient g goes to dr when the residual needs it, else into dz (overwritten by grad2)
  const gInfo = outs[3] ?? outs[0];
  const scratch = heap.malloc(6 * C * 4);
  try {
    const k = scratch;
    const acc = scratch + C * 4;
    const ap = scratch + 3 * C * 4;
    const bp = scratch + 4 * C * 4;
    const dp = scratch + 5 * C * 4;
    const base = scratch >> 2;
    let h = heap.f32();
    for (let c = 0; c < C; c++) h[base + c] = stats[c]; // centre at the batch mean
    const sg = new Float64Array(C);
    const sgz = new Float64Array(C);
    const dyp = heap.ptr(dy);
    const zp = heap.ptr(z);
    const gp = heap.ptr(gInfo);
    const yp = y ? heap.ptr(y) : 0;
    const stride = C * 4;
    for (let start = 0; start < n; start += CHUNK) {
      const len = Math.min(CHUNK, n - start);
      const off = start * stride;
      h.fill(0, base + C, base + 3 * C);
      heap.bn.grad1(dyp + off, y ? yp + off : 0, zp + off, len, C, k, gp + off, acc);
      for (let c = 0; c < C; c++) {
        sg[c] += h[base + C + c];
        sgz[c] += h[base + 2 * C + c];
      }
    }
    const dgamma = mem.view(outs[1]);
    const dbeta = mem.view(outs[2]);
    h = heap.f32();
    for (let c = 0; c < C; c++) {
      const mean = stats[c];
      const inv = stats[2 * C + c];
      const db = sg[c];
      const dg = sgz[c] * inv;
      dbeta[c] = db;
      dgamma[c] = dg;
      const a = gamma[c] * inv;
      h[base + 3 * C + c] = a;
      h[base + 4 * C + c] = (a * (inv * dg * mean - db)) / n;
      h[base + 5 * C + c] = (-a * inv * dg) / n;
    }
    heap.bn.grad2(y ? gp : dyp, zp, ap, bp, dp, heap.ptr(outs[0]), n, C);
  } finally {
    heap.free(scratch);
  }
}

function interleaveKernel({ inputs, attrs, backend }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap; backend: unknown }): TensorInfo {
  const { shape, strides, phases } = attrs as unknown as { shape: [number, number, number, number]; strides: [number, number]; phases: Phase[] };
  const mem = memoryOf(backend as AnyBackend);
  const [out] = mem.alloc([shape]);
  const [n, H, W, c] = shape;
  const parts = phases.map((at, i) => {
    const t = inputs[`p${i}`] as TensorInfo;
    checkFloat(t);
    return { at, qh: t.shape[1], qw: t.shape[2], info: t };
  });
  const ov = mem.view(out);
  interleave(parts.map((p) => ({ data: mem.view(p.info), qh: p.qh, qw: p.qw, at: p.at })), n, H, W, c, strides[0], strides[1], ov);
  return out;
}

const KERNELS: Record<string, KernelConfig['kernelFunc']> = {
  [INTERLEAVE]: interleaveKernel as unknown as KernelConfig['kernelFunc'],

  [BN_TRAIN]: bnTrainKernel as unknown as KernelConfig['kernelFunc'],
  [BN_APPLY]: bnApplyKernel as unknown as KernelConfig['kernelFunc'],
  [BN_GRAD]: bnGradKernel as unknown as KernelConfig['kernelFunc'],
};

export function registerFusedKernels(backend: string): void {
  if (backend !== 'wasm' && backend !== 'cpu') return;
  for (const [name, kernelFunc] of Object.entries(KERNELS)) {
    if (!tf.getKernel(name, backend)) tf.registerKernel({ kernelName: name, backendName: backend, kernelFunc });
  }
}

/** Whether the fused kernels exist for the active backend (the fast engine needs them). */
export function fusedKernelsAvailable(): boolean {
  return !!tf.getKernel(BN_TRAIN, tf.getBackend());
}

/** Whether the layout kernels exist for the active backend (else conv-grad uses generic ops). */
export function layoutKernelsAvailable(): boolean {
  return !!tf.getKernel(INTERLEAVE, tf.getBackend());
}
