// One interface over the two ways a model is trained: the fast engine (engine.ts)
// for the layer kinds it knows, and tfjs autodiff for anything else (a loaded
// `init` model with other layers, or the native tensorflow backend, whose own
// kernels need no help).

import * as tf from '@tensorflow/tfjs-core';
import type * as tflTypes from '@tensorflow/tfjs-layers';
import { Engine, type ParamGrad, type WeightVar } from './engine.js';
import { fusedKernelsAvailable } from './kernels/fused.js';
import type { Optimizer } from './optimizer.js';

export interface StepOutcome {
  loss: number;
  /** softmax outputs, batch x classes, row-major */
  probs: Float32Array;
}

export interface Trainer {
  readonly path: 'engine' | 'autodiff';
  /** why the engine was not used (autodiff only) */
  readonly reason?: string;
  step(pixels: tf.Tensor4D, targets: tf.Tensor2D, opt: Optimizer): StepOutcome;
  /** call before a series of predict() calls; returns a function that releases what it cached */
  beginInference(): () => void;
  predict(pixels: tf.Tensor4D): Float32Array;
}

function isKernel(v: WeightVar): boolean {
  return v.originalName.endsWith('/kernel');
}

class EngineTrainer implements Trainer {
  readonly path = 'engine' as const;
  private bn: ReturnType<Engine['inferenceParams']> | null = null;
  constructor(private readonly engine: Engine) {}

  step(pixels: tf.Tensor4D, targets: tf.Tensor2D, opt: Optimizer): StepOutcome {
    const r = this.engine.trainStep(pixels, targets);
    const loss = r.loss.dataSync()[0];
    const probs = r.probs.dataSync() as Float32Array;
    r.loss.dispose();
    r.probs.dispose();
    opt.apply(r.grads);
    for (const u of r.bnUpdates) {
      u.v.write(u.value);
      u.value.dispose();
    }
    return { loss, probs: Float32Array.from(probs) };
  }

  beginInference(): () => void {
    const bn = this.engine.inferenceParams();
    this.bn = bn;
    return () => {
      for (const p of bn.values()) {
        p.scale.dispose();
        p.shift.dispose();
      }
      this.bn = null;
    };
  }

  predict(pixels: tf.Tensor4D): Float32Array {
    if (!this.bn) throw new Error('predict() outside beginInference()');
    const p = this.engine.predict(pixels, this.bn);
    const out = Float32Array.from(p.dataSync() as Float32Array);
    p.dispose();
    return out;
  }
}

class AutodiffTrainer implements Trainer {
  readonly path = 'autodiff' as const;
  constructor(
    private readonly model: tflTypes.LayersModel,
    readonly reason: string,
  ) {}

  step(pixels: tf.Tensor4D, targets: tf.Tensor2D, opt: Optimizer): StepOutcome {
    const weights = this.model.trainableWeights as unknown as WeightVar[];
    const vars = weights.map((w) => w.read());
    let probs: Float32Array = new Float32Array(0);
    const { value, grads } = tf.variableGrads(() => {
      const p = this.model.apply(pixels, { training: true }) as tf.Tensor2D;
      probs = Float32Array.from(p.dataSync() as Float32Array);
      const batch = p.shape[0];
      return tf.neg(tf.div(tf.sum(tf.mul(targets, tf.log(tf.clipByValue(p, 1e-7, 1)))), batch)) as tf.Scalar;
    }, vars);
    const loss = value.dataSync()[0];
    value.dispose();
    const list: ParamGrad[] = weights.map((w, i) => ({ v: w, grad: grads[vars[i].name], decay: isKernel(w) })).filter((g) => g.grad);
    opt.apply(list);
    return { loss, probs };
  }

  beginInference(): () => void {
    return () => {};
  }

  predict(pixels: tf.Tensor4D): Float32Array {
    const p = this.model.predict(pixels) as tf.Tensor;
    const out = Float32Array.from(p.dataSync() as Float32Array);
    p.dispose();
    return out;
  }
}

/** The engine when it can train `model` on this backend, else tfjs autodiff (with the reason). */
export function makeTrainer(model: tflTypes.LayersModel, opts: { forceAutodiff?: boolean } = {}): Trainer {
  if (opts.forceAutodiff) return new AutodiffTrainer(model, 'forced');
  if (!fusedKernelsAvailable()) return new AutodiffTrainer(model, `the ${tf.getBackend()} backend runs its own gradient kernels`);
  const e = Engine.compile(model);
  if (e instanceof Engine) return new EngineTrainer(e);
  return new AutodiffTrainer(model, e.unsupported);
}
