// The fast training path: a hand-written forward and backward pass for the layer
// kinds softlab's ResNets use, compiled from a tfjs LayersModel. Compared with tfjs
// autodiff it skips the tape, computes convolution gradients with forward
// convolutions (kernels/conv-grad.ts), runs batch norm (+ residual add + ReLU) as one
// fused kernel each way (kernels/fused.ts), fuses softmax with the cross-entropy,
// and frees each activation as soon as the backward pass is done with it.
//
// The model stays a plain LayersModel: the engine reads and writes its weights, so
// saving and `model.predict` see what training did. A model with a layer kind the
// engine does not know is trained by the generic autodiff path instead (autodiff.ts).

import * as tf from '@tensorflow/tfjs-core';
import type * as tflTypes from '@tensorflow/tfjs-layers';
import { conv2dFilterGrad, conv2dInputGrad, convGeometry, type ConvGeometry } from './kernels/conv-grad.js';
import { BN_APPLY, BN_GRAD, BN_TRAIN } from './kernels/fused.js';

/** The part of a tfjs-layers LayerVariable the engine uses. */
export interface WeightVar {
  read(): tf.Variable;
  write(v: tf.Tensor): unknown;
  readonly originalName: string;
  readonly trainable: boolean;
  readonly shape: (number | null)[];
}

type Pair = [number, number];

type Op =
  | { kind: 'input'; id: number }
  | { kind: 'rescale'; id: number; src: number; scale: number; offset: number }
  | { kind: 'conv'; id: number; src: number; kernel: WeightVar; bias?: WeightVar; strides: Pair; pad: 'same' | 'valid'; dilations: Pair }
  | { kind: 'bn'; id: number; src: number; gamma: WeightVar; beta: WeightVar; mean: WeightVar; variance: WeightVar; momentum: number; epsilon: number; relu: boolean; residual?: number }
  | { kind: 'relu'; id: number; src: number }
  | { kind: 'add'; id: number; srcs: number[] }
  | { kind: 'maxpool'; id: number; src: number; pool: Pair; strides: Pair; pad: 'same' | 'valid' }
  | { kind: 'gap'; id: number; src: number }
  | { kind: 'zeropad'; id: number; src: number; pads: [Pair, Pair] }
  | { kind: 'dense'; id: number; src: number; kernel: WeightVar; bias?: WeightVar; softmax: boolean };

export interface ParamGrad {
  v: WeightVar;
  grad: tf.Tensor;
  /** weight decay applies (convolution and dense kernels, not biases or batch norm) */
  decay: boolean;
}

export interface StepResult {
  /** mean soft cross-entropy over the batch */
  loss: tf.Scalar;
  /** softmax outputs [batch, classes] */
  probs: tf.Tensor2D;
  grads: ParamGrad[];
  /** batch-norm moving statistics to write once the step is accepted */
  bnUpdates: { v: WeightVar; value: tf.Tensor }[];
}

export class Unsupported extends Error {}

function pair(v: unknown): Pair {
  if (Array.isArray(v)) return [Number(v[0]), Number(v.length > 1 ? v[1] : v[0])];
  return [Number(v), Number(v)];
}

function weightsByName(layer: tflTypes.layers.Layer): Record<string, WeightVar> {
  const out: Record<string, WeightVar> = {};
  for (const w of layer.weights as unknown as WeightVar[]) out[w.originalName.split('/').pop()!] = w;
  return out;
}

/** The inbound layers of `layer` within `model` (a layer may also sit in other models). */
function inboundOf(model: tflTypes.LayersModel, layer: tflTypes.layers.Layer): tflTypes.layers.Layer[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tflTypes.layers.Layer[]; tensorIndices: number[] }[] }).inboundNodes;
  const keys = (model as unknown as { containerNodes?: Set<string> }).containerNodes;
  let idx = 0;
  if (keys && nodes.length > 1) {
    idx = nodes.findIndex((_, i) => keys.has(`${layer.name}_ib-${i}`));
    if (idx < 0) throw new Unsupported(`layer ${layer.name}: no inbound node in this model`);
  }
  const node = nodes[idx];
  if (node.tensorIndices.some((t) => t !== 0)) throw new Unsupported(`layer ${layer.name}: multi-output inputs`);
  return node.inboundLayers;
}

/** Translate a LayersModel into engine ops, or throw Unsupported with the reason. */
function compileOps(model: tflTypes.LayersModel): { ops: Op[]; output: number } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Unsupported('the engine trains single-input, single-output models');
  const ids = new Map<string, number>();
  const ops: Op[] = [];
  for (const layer of model.layers) {
    const id = ops.length;
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const inb = cls === 'InputLayer' ? [] : inboundOf(model, layer);
    const src = inb.map((l) => {
      const s = ids.get(l.name);
      if (s === undefined) throw new Unsupported(`layer ${layer.name}: input ${l.name} not seen yet`);
      return s;
    });
    const w = weightsByName(layer);
    const one = (): number => {
      if (src.length !== 1) throw new Unsupported(`layer ${layer.name}: expected one input`);
      return src[0];
    };
    const linear = (a: unknown): boolean => a === undefined || a === null || a === 'linear';
    switch (cls) {
      case 'InputLayer':
        ops.push({ kind: 'input', id });
        break;
      case 'Rescaling':
        ops.push({ kind: 'rescale', id, src: one(), scale: Number(cfg.scale), offset: Number(cfg.offset ?? 0) });
        break;
      case 'Conv2D': {
        if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new Unsupported(`${layer.name}: channelsFirst`);
        if (!linear(cfg.activation)) throw new Unsupported(`${layer.name}: conv activation ${String(cfg.activation)}`);
        if (cfg.groups && cfg.groups !== 1) throw new Unsupported(`${layer.name}: grouped conv`);
        const s = pair(cfg.strides);
        const d = pair(cfg.dilationRate ?? 1);
        if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) throw new Unsupported(`${layer.name}: strided and dilated`);
        ops.push({ kind: 'conv', id, src: one(), kernel: w.kernel, bias: cfg.useBias ? w.bias : undefined, strides: s, pad: cfg.padding === 'same' ? 'same' : 'valid', dilations: d });
        break;
      }
      case 'BatchNormalization': {
        const axis = cfg.axis as number | number[];
        const ax = Array.isArray(axis) ? axis : [axis];
        if (ax.length !== 1 || (ax[0] !== -1 && ax[0] !== 3)) throw new Unsupported(`${layer.name}: batch norm over axis ${String(axis)}`);
        if (!w.gamma || !w.beta) throw new Unsupported(`${layer.name}: batch norm without scale/center`);
        ops.push({ kind: 'bn', id, src: one(), gamma: w.gamma, beta: w.beta, mean: w.moving_mean, variance: w.moving_variance, momentum: Number(cfg.momentum), epsilon: Number(cfg.epsilon), relu: false });
        break;
      }
      case 'ReLU':
        if (cfg.maxValue != null) throw new Unsupported(`${layer.name}: capped ReLU`);
        ops.push({ kind: 'relu', id, src: one() });
        break;
      case 'Activation':
        if (cfg.activation !== 'relu') throw new Unsupported(`${layer.name}: activation ${String(cfg.activation)}`);
        ops.push({ kind: 'relu', id, src: one() });
        break;
      case 'Add':
        ops.push({ kind: 'add', id, srcs: src });
        break;
      case 'MaxPooling2D':
        ops.push({ kind: 'maxpool', id, src: one(), pool: pair(cfg.poolSize), strides: pair(cfg.strides ?? cfg.poolSize), pad: cfg.padding === 'same' ? 'same' : 'valid' });
        break;
      case 'GlobalAveragePooling2D':
        if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') throw new Unsupported(`${layer.name}: channelsFirst`);
        ops.push({ kind: 'gap', id, src: one() });
        break;
      case 'ZeroPadding2D': {
        const p = cfg.padding as number[][];
        ops.push({ kind: 'zeropad', id, src: one(), pads: [[p[0][0], p[0][1]], [p[1][0], p[1][1]]] });
        break;
      }
      case 'Dense':
        if (cfg.activation !== 'softmax' && !linear(cfg.activation)) throw new Unsupported(`${layer.name}: dense activation ${String(cfg.activation)}`);
        ops.push({ kind: 'dense', id, src: one(), kernel: w.kernel, bias: cfg.useBias ? w.bias : undefined, softmax: cfg.activation === 'softmax' });
        break;
      default:
        throw new Unsupported(`layer ${layer.name} (${cls})`);
    }
    ids.set(layer.name, id);
  }
  const outLayer = model.outputs[0].sourceLayer;
  const output = ids.get(outLayer.name)!;
  const last = ops[output];
  if (last.kind !== 'dense') throw new Unsupported('the model must end in a Dense head');
  if (ops.some((o) => o.kind === 'dense' && o.id !== output)) throw new Unsupported('a Dense layer before the head');
  return { ops, output };
}

function sources(op: Op): number[] {
  switch (op.kind) {
    case 'input':
      return [];
    case 'add':
      return op.srcs;
    case 'bn':
      return op.residual !== undefined ? [op.src, op.residual] : [op.src];
    default:
      return [op.src];
  }
}

/**
 * Fold ReLU (and Add + ReLU) into the batch norm before it. Returns the execution
 * order (op ids) and an alias map from removed ops to the op now producing their value.
 */
function fuse(ops: Op[]): { order: number[]; alias: Map<number, number> } {
  const consumers = new Map<number, number[]>();
  for (const op of ops) for (const s of sources(op)) consumers.set(s, [...(consumers.get(s) ?? []), op.id]);
  const alias = new Map<number, number>();
  const position = new Map<number, number>(); // op id -> op id whose slot it now runs in
  const only = (id: number): Op | undefined => {
    const c = consumers.get(id);
    return c && c.length === 1 ? ops[c[0]] : undefined;
  };
  for (const op of ops) {
    if (op.kind !== 'bn' || alias.has(op.id)) continue;
    const next = only(op.id);
    if (next?.kind === 'relu') {
      op.relu = true;
      alias.set(next.id, op.id);
    } else if (next?.kind === 'add' && !alias.has(next.id) && next.srcs.length === 2 && next.srcs[0] !== next.srcs[1]) {
      const after = only(next.id);
      if (after?.kind === 'relu') {
        op.relu = true;
        op.residual = next.srcs[0] === op.id ? next.srcs[1] : next.srcs[0];
        alias.set(next.id, op.id);
        alias.set(after.id, op.id);
        position.set(op.id, after.id); // run where the relu ran: the residual exists by then
      }
    }
  }
  const slot = new Map<number, number[]>();
  for (const [id, at] of position) slot.set(at, [...(slot.get(at) ?? []), id]);
  const order: number[] = [];
  for (const op of ops) {
    if (position.has(op.id)) continue;
    if (!alias.has(op.id)) order.push(op.id);
    for (const moved of slot.get(op.id) ?? []) order.push(moved);
  }
  return { order, alias };
}

interface InferenceBn {
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}

/** Optional CPU-time accounting per op kind (bench/train.ts sets it; null costs nothing). */
export let engineTimer: ((label: string, ms: number) => void) | null = null;
export function setEngineTimer(t: typeof engineTimer): void {
  engineTimer = t;
}

function timed<T>(label: string, f: () => T): T {
  if (!engineTimer) return f();
  const t0 = process.cpuUsage();
  const r = f();
  const d = process.cpuUsage(t0);
  engineTimer(label, (d.user + d.system) / 1000);
  return r;
}

export class Engine {
  private readonly ops: Op[];
  private readonly order: number[];
  private readonly output: number;
  private readonly inputId: number;
  /** whether an op's output needs a gradient (false for the input and what only depends on it) */
  private readonly needsGrad: boolean[];
  private readonly geometry = new Map<string, ConvGeometry>();

  private constructor(
    readonly model: tflTypes.LayersModel,
    compiled: { ops: Op[]; output: number },
  ) {
    this.ops = compiled.ops;
    this.output = compiled.output;
    const { order, alias } = fuse(this.ops);
    const resolve = (id: number): number => {
      let r = id;
      while (alias.has(r)) r = alias.get(r)!;
      return r;
    };
    for (const op of this.ops) {
      if (op.kind === 'add') op.srcs = op.srcs.map(resolve);
      else if (op.kind !== 'input') (op as { src: number }).src = resolve((op as { src: number }).src);
      if (op.kind === 'bn' && op.residual !== undefined) op.residual = resolve(op.residual);
    }
    this.order = order;
    this.inputId = this.ops.find((o) => o.kind === 'input')!.id;
    this.needsGrad = this.ops.map(() => false);
    for (const id of order) {
      const op = this.ops[id];
      const paramFree = op.kind === 'input' || op.kind === 'rescale' || op.kind === 'zeropad' || op.kind === 'relu' || op.kind === 'maxpool' || op.kind === 'add' || op.kind === 'gap';
      this.needsGrad[id] = !paramFree || sources(op).some((s) => this.needsGrad[s]);
    }
  }

  /** An engine for `model`, or the reason it cannot train it. */
  static compile(model: tflTypes.LayersModel): Engine | { unsupported: string } {
    try {
      return new Engine(model, compileOps(model));
    } catch (e) {
      if (e instanceof Unsupported) return { unsupported: e.message };
      throw e;
    }
  }

  /** Op kinds after fusion, for reports and tests: e.g. `conv`, `bn+add+relu`. */
  describe(): string[] {
    return this.order.map((id) => {
      const op = this.ops[id];
      if (op.kind !== 'bn') return op.kind;
      return `bn${op.residual !== undefined ? '+add' : ''}${op.relu ? '+relu' : ''}`;
    });
  }

  private geom(op: Extract<Op, { kind: 'conv' }>, x: tf.Tensor, w: tf.Tensor): ConvGeometry {
    const key = `${op.id}:${x.shape.join('x')}`;
    let g = this.geometry.get(key);
    if (!g) {
      g = convGeometry(tf, x.shape, w.shape, op.strides, op.pad, op.dilations);
      this.geometry.set(key, g);
    }
    return g;
  }

  private convForward(op: Extract<Op, { kind: 'conv' }>, x: tf.Tensor4D): tf.Tensor4D {
    const w = op.kernel.read() as tf.Tensor4D;
    let z = tf.conv2d(x, w, op.strides, op.pad, 'NHWC', op.dilations);
    if (op.bias) {
      const z2 = tf.add(z, op.bias.read()) as tf.Tensor4D;
      z.dispose();
      z = z2;
    }
    return z;
  }

  /**
   * One training forward and backward pass. `pixels` [batch, H, W, C] raw 0-255,
   * `targets` [batch, classes] distributions. Everything except the returned tensors
   * is disposed; call inside tf.tidy or dispose the result.
   */
  trainStep(pixels: tf.Tensor4D, targets: tf.Tensor2D): StepResult {
    const vals = new Map<number, tf.Tensor>();
    const bnSaved = new Map<number, { stats: tf.Tensor }>();
    const bnUpdates: StepResult['bnUpdates'] = [];
    vals.set(this.inputId, pixels);
    const head = this.ops[this.output] as Extract<Op, { kind: 'dense' }>;

    // forward
    for (const id of this.order) {
      const op = this.ops[id];
      switch (op.kind) {
        case 'input':
          break;
        case 'rescale':
          vals.set(id, tf.tidy(() => tf.add(tf.mul(vals.get(op.src)!, op.scale), op.offset)));
          break;
        case 'conv':
          vals.set(id, timed('conv fwd', () => this.convForward(op, vals.get(op.src) as tf.Tensor4D)));
          break;
        case 'bn': {
          const inputs: Record<string, tf.Tensor> = { z: vals.get(op.src)!, gamma: op.gamma.read(), beta: op.beta.read() };
          if (op.residual !== undefined) inputs.r = vals.get(op.residual)!;
          const [y, stats] = timed('bn fwd', () => tf.engine().runKernel(BN_TRAIN, inputs as never, { relu: op.relu, epsilon: op.epsilon } as never) as tf.Tensor[]);
          vals.set(id, y);
          bnSaved.set(id, { stats });
          const m = op.momentum;
          const z = vals.get(op.src)!;
          const count = z.size / z.shape[z.shape.length - 1];
          bnUpdates.push(
            { v: op.mean, value: tf.tidy(() => tf.add(tf.mul(op.mean.read(), m), tf.mul(tf.reshape(tf.slice(stats, [0, 0], [1, -1]), [-1]), 1 - m))) },
            {
              v: op.variance,
              // unbiased batch variance for the running estimate, as PyTorch and TensorFlow's fused batch norm do
              value: tf.tidy(() => tf.add(tf.mul(op.variance.read(), m), tf.mul(tf.reshape(tf.slice(stats, [1, 0], [1, -1]), [-1]), ((1 - m) * count) / Math.max(count - 1, 1)))),
            },
          );
          break;
        }
        case 'relu':
          vals.set(id, tf.relu(vals.get(op.src)!));
          break;
        case 'add':
          vals.set(id, tf.addN(op.srcs.map((s) => vals.get(s)!)));
          break;
        case 'maxpool':
          vals.set(id, tf.maxPool(vals.get(op.src) as tf.Tensor4D, op.pool, op.strides, op.pad));
          break;
        case 'gap':
          vals.set(id, tf.mean(vals.get(op.src)!, [1, 2]));
          break;
        case 'zeropad':
          vals.set(id, tf.pad(vals.get(op.src)!, [[0, 0], op.pads[0], op.pads[1], [0, 0]]));
          break;
        case 'dense':
          break; // the head is fused with the loss below
      }
    }

    // head + soft cross-entropy: dL/dlogits = (softmax - t) / batch
    const h = vals.get(head.src) as tf.Tensor2D;
    const batch = h.shape[0];
    const grads: ParamGrad[] = [];
    const gradOf = new Map<number, tf.Tensor>();
    const addGrad = (id: number, g: tf.Tensor): void => {
      if (!this.needsGrad[id]) {
        g.dispose();
        return;
      }
      const old = gradOf.get(id);
      if (old) {
        gradOf.set(id, tf.add(old, g));
        old.dispose();
        g.dispose();
      } else gradOf.set(id, g);
    };
    const { loss, probs } = tf.tidy(() => {
      let logits = tf.matMul(h, head.kernel.read()) as tf.Tensor2D;
      if (head.bias) logits = tf.add(logits, head.bias.read());
      const logp = tf.logSoftmax(logits);
      const p = tf.exp(logp) as tf.Tensor2D;
      const l = tf.neg(tf.div(tf.sum(tf.mul(targets, logp)), batch)) as tf.Scalar;
      const dlogits = tf.div(tf.sub(p, targets), batch) as tf.Tensor2D;
      grads.push({ v: head.kernel, grad: tf.keep(tf.matMul(h, dlogits, true, false)), decay: true });
      if (head.bias) grads.push({ v: head.bias, grad: tf.keep(tf.sum(dlogits, 0)), decay: false });
      addGrad(head.src, tf.keep(tf.matMul(dlogits, head.kernel.read(), false, true)));
      return { loss: l, probs: p };
    });

    // backward, in reverse execution order; each value is freed once its op is done
    for (let k = this.order.length - 1; k >= 0; k--) {
      const id = this.order[k];
      const op = this.ops[id];
      const g = gradOf.get(id);
      gradOf.delete(id);
      if (g) {
        switch (op.kind) {
          case 'conv': {
            const x = vals.get(op.src) as tf.Tensor4D;
            const w = op.kernel.read() as tf.Tensor4D;
            const geo = this.geom(op, x, w);
            grads.push({ v: op.kernel, grad: timed(engineTimer ? `conv dW ${geo.inC}>${geo.outC} k${geo.kh} s${geo.strideH} @${geo.inH}` : '', () => conv2dFilterGrad(tf, x, g as tf.Tensor4D, geo)), decay: true });
            if (op.bias) grads.push({ v: op.bias, grad: tf.sum(g, [0, 1, 2]), decay: false });
            if (this.needsGrad[op.src]) {
              addGrad(op.src, timed(engineTimer ? `conv dX ${geo.inC}>${geo.outC} k${geo.kh} s${geo.strideH} @${geo.inH}` : '', () => conv2dInputGrad(tf, g as tf.Tensor4D, w, geo)));
            }
            break;
          }
          case 'bn': {
            const saved = bnSaved.get(id)!;
            const inputs: Record<string, tf.Tensor> = { dy: g, z: vals.get(op.src)!, stats: saved.stats, gamma: op.gamma.read() };
            if (op.relu) inputs.y = vals.get(id)!;
            const out = timed('bn bwd', () => tf.engine().runKernel(BN_GRAD, inputs as never, { relu: op.relu, residual: op.residual !== undefined } as never) as tf.Tensor[]);
            const [dz, dgamma, dbeta] = out;
            grads.push({ v: op.gamma, grad: dgamma, decay: false }, { v: op.beta, grad: dbeta, decay: false });
            if (op.residual !== undefined) addGrad(op.residual, op.relu ? out[3] : tf.clone(g));
            addGrad(op.src, dz);
            saved.stats.dispose();
            break;
          }
          case 'relu':
            addGrad(op.src, tf.tidy(() => tf.mul(g, tf.step(vals.get(id)!))));
            break;
          case 'rescale':
            if (this.needsGrad[op.src]) addGrad(op.src, tf.mul(g, op.scale));
            break;
          case 'add':
            for (const s of op.srcs) addGrad(s, tf.clone(g));
            break;
          case 'maxpool': {
            const x = vals.get(op.src)!;
            addGrad(
              op.src,
              tf.engine().runKernel('MaxPoolGrad', { dy: g, input: x, output: vals.get(id)! } as never, {
                filterSize: op.pool,
                strides: op.strides,
                pad: op.pad,
              } as never) as tf.Tensor,
            );
            break;
          }
          case 'gap': {
            const x = vals.get(op.src)!;
            const [n, hh, ww, c] = x.shape;
            addGrad(op.src, tf.tidy(() => tf.broadcastTo(tf.div(tf.reshape(g, [n, 1, 1, c]), hh * ww), x.shape)));
            break;
          }
          case 'zeropad': {
            const x = vals.get(op.src)!;
            addGrad(op.src, tf.slice(g, [0, op.pads[0][0], op.pads[1][0], 0], x.shape));
            break;
          }
          default:
            break;
        }
        g.dispose();
      }
      if (id !== this.inputId) {
        vals.get(id)?.dispose();
        vals.delete(id);
      }
    }
    for (const [, t] of vals) if (t !== pixels) t.dispose();
    for (const [, t] of gradOf) t.dispose();
    for (const [, s] of bnSaved) if (!s.stats.isDisposed) s.stats.dispose();
    return { loss, probs, grads, bnUpdates };
  }

  /** Batch-norm scale/shift from the moving statistics, for inference; dispose when done. */
  inferenceParams(): Map<number, InferenceBn> {
    const out = new Map<number, InferenceBn>();
    for (const op of this.ops) {
      if (op.kind !== 'bn') continue;
      out.set(
        op.id,
        tf.tidy(() => {
          const scale = tf.mul(op.gamma.read(), tf.rsqrt(tf.add(op.variance.read(), op.epsilon))) as tf.Tensor1D;
          const shift = tf.sub(op.beta.read(), tf.mul(op.mean.read(), scale)) as tf.Tensor1D;
          return { scale, shift };
        }),
      );
    }
    return out;
  }

  /** Softmax outputs in inference mode (moving statistics), as `model.predict` gives them. */
  predict(pixels: tf.Tensor4D, bn: Map<number, InferenceBn>): tf.Tensor2D {
    return tf.tidy(() => {
      const vals = new Map<number, tf.Tensor>();
      vals.set(this.inputId, pixels);
      let result: tf.Tensor2D | undefined;
      for (const id of this.order) {
        const op = this.ops[id];
        const x = op.kind === 'input' || op.kind === 'add' ? undefined : vals.get(op.src)!;
        switch (op.kind) {
          case 'input':
            break;
          case 'rescale':
            vals.set(id, tf.add(tf.mul(x!, op.scale), op.offset));
            break;
          case 'conv':
            vals.set(id, this.convForward(op, x as tf.Tensor4D));
            break;
          case 'bn': {
            const p = bn.get(id)!;
            const inputs: Record<string, tf.Tensor> = { z: x!, scale: p.scale, shift: p.shift };
            if (op.residual !== undefined) inputs.r = vals.get(op.residual)!;
            vals.set(id, tf.engine().runKernel(BN_APPLY, inputs as never, { relu: op.relu } as never) as tf.Tensor);
            break;
          }
          case 'relu':
            vals.set(id, tf.relu(x!));
            break;
          case 'add':
            vals.set(id, tf.addN(op.srcs.map((s) => vals.get(s)!)));
            break;
          case 'maxpool':
            vals.set(id, tf.maxPool(x as tf.Tensor4D, op.pool, op.strides, op.pad));
            break;
          case 'gap':
            vals.set(id, tf.mean(x!, [1, 2]));
            break;
          case 'zeropad':
            vals.set(id, tf.pad(x!, [[0, 0], op.pads[0], op.pads[1], [0, 0]]));
            break;
          case 'dense': {
            let logits = tf.matMul(x as tf.Tensor2D, op.kernel.read()) as tf.Tensor2D;
            if (op.bias) logits = tf.add(logits, op.bias.read());
            result = tf.softmax(logits);
            break;
          }
        }
      }
      return result!;
    });
  }
}
