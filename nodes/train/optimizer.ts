// Optimizers and learning-rate schedules, written out so their state is ours
// (deterministic, disposable, independent of tfjs's optimizer registry).
// Weight decay: decoupled (AdamW) for adam; L2 added to the gradient for sgd and
// momentum, as classic ResNet training does. It applies to conv/dense kernels only.

import * as tf from '@tensorflow/tfjs-core';
import type { ParamGrad, WeightVar } from './engine.js';

export type OptimizerName = 'adam' | 'sgd' | 'momentum';
export type ScheduleName = 'constant' | 'cosine' | 'step';

export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  schedule: ScheduleName;
  weightDecay: number;
  /** optimizer steps in the whole run (for the schedule) */
  totalSteps: number;
}

/** Learning rate at `step` (0-based) of `total`: cosine to 0, or x0.1 at 50% and 75%. */
export function scheduledRate(cfg: Pick<OptimizerConfig, 'learningRate' | 'schedule' | 'totalSteps'>, step: number): number {
  const t = cfg.totalSteps > 0 ? Math.min(step / cfg.totalSteps, 1) : 0;
  switch (cfg.schedule) {
    case 'cosine':
      return cfg.learningRate * 0.5 * (1 + Math.cos(Math.PI * t));
    case 'step':
      return cfg.learningRate * (t >= 0.75 ? 0.01 : t >= 0.5 ? 0.1 : 1);
    default:
      return cfg.learningRate;
  }
}

interface Slot {
  m?: tf.Tensor;
  v?: tf.Tensor;
}

export class Optimizer {
  private readonly slots = new Map<WeightVar, Slot>();
  private t = 0;

  constructor(readonly cfg: OptimizerConfig) {}

  get steps(): number {
    return this.t;
  }

  currentRate(): number {
    return scheduledRate(this.cfg, this.t);
  }

  /** Apply one update; disposes the gradients. */
  apply(grads: ParamGrad[]): void {
    const lr = scheduledRate(this.cfg, this.t);
    this.t++;
    const { name, weightDecay: wd } = this.cfg;
    const b1 = 0.9;
    const b2 = 0.999;
    const eps = 1e-8;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    for (const { v, grad, decay } of grads) {
      if (!v.trainable) {
        grad.dispose();
        continue;
      }
      let slot = this.slots.get(v);
      if (!slot) this.slots.set(v, (slot = {}));
      const s = slot;
      const w = v.read();
      const next = tf.tidy(() => {
        if (name === 'adam') {
          const m = s.m ? tf.add(tf.mul(s.m, b1), tf.mul(grad, 1 - b1)) : tf.mul(grad, 1 - b1);
          const vv = s.v ? tf.add(tf.mul(s.v, b2), tf.mul(tf.square(grad), 1 - b2)) : tf.mul(tf.square(grad), 1 - b2);
          s.m?.dispose();
          s.v?.dispose();
          s.m = tf.keep(m);
          s.v = tf.keep(vv);
          const upd = tf.div(tf.mul(m, lr / bc1), tf.add(tf.sqrt(tf.div(vv, bc2)), eps));
          const base = decay && wd > 0 ? tf.mul(w, 1 - lr * wd) : w;
          return tf.sub(base, upd);
        }
        const g = decay && wd > 0 ? tf.add(grad, tf.mul(w, wd)) : grad;
        if (name === 'momentum') {
          const m = s.m ? tf.add(tf.mul(s.m, 0.9), g) : tf.clone(g);
          s.m?.dispose();
          s.m = tf.keep(m);
          return tf.sub(w, tf.mul(m, lr));
        }
        return tf.sub(w, tf.mul(g, lr));
      });
      v.write(next);
      next.dispose();
      grad.dispose();
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m?.dispose();
      s.v?.dispose();
    }
    this.slots.clear();
  }
}
