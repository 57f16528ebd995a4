// ResNets in the tfjs layers API. ResNet-18/34 (basic blocks) and 50/101/152
// (bottleneck blocks) follow He et al. 2016 as torchvision builds them (no conv
// biases, projection shortcuts where the shape changes, stride on the 3x3 of a
// bottleneck), so with a 1000-class head at 224 they have 11.69M / 21.80M / 25.56M /
// 44.55M / 60.19M trainable parameters. `compact` is a CPU-sized variant for small
// images: a 3x3 stem at full resolution and three stages of one basic block at
// width w, 2w, 4w. Its standard width is 12 (44k parameters, the default net); w = 16
// gives the 78k-parameter net the issue uses as its speed yardstick.
//
// Every model starts with a Rescaling layer (raw 0-255 pixels in, about [-2, 2] out)
// and ends with a softmax Dense head, so the saved model takes pixels and gives
// class probabilities. Layer names are fixed, so equal configs give equal model.json.
// Weights are created as zeros here (cheap even for ResNet-152) and drawn by
// `initWeights` from a seeded Random.

import type * as tflTypes from '@tensorflow/tfjs-layers';
import type { Random } from '../../runner/random.js';

type TFL = typeof tflTypes;
type ST = tflTypes.SymbolicTensor;

export const ARCHS = ['compact', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'] as const;
export type ArchName = (typeof ARCHS)[number];

interface ArchPlan {
  block: 'basic' | 'bottleneck';
  /** blocks per stage */
  stages: number[];
  /** stem: 7x7/2 conv + 3x3/2 max-pool (ImageNet) or a 3x3/1 conv (small images) */
  stem: 'imagenet' | 'small';
  standardWidth: number;
}

const PLANS: Record<ArchName, ArchPlan> = {
  compact: { block: 'basic', stages: [1, 1, 1], stem: 'small', standardWidth: 12 },
  resnet18: { block: 'basic', stages: [2, 2, 2, 2], stem: 'imagenet', standardWidth: 64 },
  resnet34: { block: 'basic', stages: [3, 4, 6, 3], stem: 'imagenet', standardWidth: 64 },
  resnet50: { block: 'bottleneck', stages: [3, 4, 6, 3], stem: 'imagenet', standardWidth: 64 },
  resnet101: { block: 'bottleneck', stages: [3, 4, 23, 3], stem: 'imagenet', standardWidth: 64 },
  resnet152: { block: 'bottleneck', stages: [3, 8, 36, 3], stem: 'imagenet', standardWidth: 64 },
};

export interface ModelSpec {
  arch: ArchName;
  /** base width (channels of the first stage); null: the arch's standard (12 compact, 64 resnets) */
  width?: number | null;
  /** input height = width in pixels */
  input: number;
  channels: number;
  classes: number;
}

/** Pixels 0..255 map to (p/255 - 0.5)/0.25. */
export const RESCALE = { scale: 1 / (255 * 0.25), offset: -2 } as const;
export const BN_EPSILON = 1e-5;
/** Keras convention (weight of the old value); PyTorch's 0.1 */
export const BN_MOMENTUM = 0.9;

export function standardWidth(arch: ArchName): number {
  return PLANS[arch].standardWidth;
}

export function resolvedWidth(spec: Pick<ModelSpec, 'arch' | 'width'>): number {
  return spec.width ?? PLANS[spec.arch].standardWidth;
}

class Builder {
  constructor(private readonly tfl: TFL) {}

  conv(x: ST, name: string, filters: number, kernel: number, stride: number): ST {
    return this.tfl.layers
      .conv2d({ name, filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: 'zeros' })
      .apply(x) as ST;
  }

  bn(x: ST, name: string): ST {
    return this.tfl.layers.batchNormalization({ name, axis: -1, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }).apply(x) as ST;
  }

  relu(x: ST, name: string): ST {
    return this.tfl.layers.reLU({ name }).apply(x) as ST;
  }

  convBn(x: ST, name: string, filters: number, kernel: number, stride: number, relu: boolean): ST {
    const y = this.bn(this.conv(x, `${name}_conv`, filters, kernel, stride), `${name}_bn`);
    return relu ? this.relu(y, `${name}_relu`) : y;
  }

  shortcut(x: ST, name: string, filters: number, stride: number): ST {
    const inC = x.shape[x.shape.length - 1];
    if (stride === 1 && inC === filters) return x;
    return this.convBn(x, `${name}_proj`, filters, 1, stride, false);
  }

  join(y: ST, s: ST, name: string): ST {
    return this.relu(this.tfl.layers.add({ name: `${name}_add` }).apply([y, s]) as ST, `${name}_out`);
  }

  basic(x: ST, name: string, filters: number, stride: number): ST {
    const s = this.shortcut(x, name, filters, stride);
    let y = this.convBn(x, `${name}_1`, filters, 3, stride, true);
    y = this.convBn(y, `${name}_2`, filters, 3, 1, false);
    return this.join(y, s, name);
  }

  bottleneck(x: ST, name: string, filters: number, stride: number): ST {
    const s = this.shortcut(x, name, filters * 4, stride);
    let y = this.convBn(x, `${name}_1`, filters, 1, 1, true);
    y = this.convBn(y, `${name}_2`, filters, 3, stride, true);
    y = this.convBn(y, `${name}_3`, filters * 4, 1, 1, false);
    return this.join(y, s, name);
  }
}

/** Build the model (weights all zero; call `initWeights`). */
export function buildModel(tfl: TFL, spec: ModelSpec): tflTypes.LayersModel {
  const plan = PLANS[spec.arch];
  if (!plan) throw new Error(`unknown arch ${spec.arch}`);
  const w = resolvedWidth(spec);
  const b = new Builder(tfl);
  const input = tfl.input({ shape: [spec.input, spec.input, spec.channels], name: 'pixels' });
  let x = tfl.layers.rescaling({ name: 'rescale', scale: RESCALE.scale, offset: RESCALE.offset }).apply(input) as ST;
  if (plan.stem === 'imagenet') {
    x = b.convBn(x, 'stem', w, 7, 2, true);
    x = tfl.layers.maxPooling2d({ name: 'stem_pool', poolSize: 3, strides: 2, padding: 'same' }).apply(x) as ST;
  } else {
    x = b.convBn(x, 'stem', w, 3, 1, true);
  }
  plan.stages.forEach((blocks, s) => {
    const filters = w * 2 ** s;
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      const name = `s${s + 1}b${i + 1}`;
      x = plan.block === 'basic' ? b.basic(x, name, filters, stride) : b.bottleneck(x, name, filters, stride);
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as ST;
  const out = tfl.layers.dense({ name: 'head', units: spec.classes, activation: 'softmax', kernelInitializer: 'zeros' }).apply(x) as ST;
  return tfl.model({ inputs: input, outputs: out, name: `softlab_${spec.arch}` });
}

/** Trainable parameter count (what papers and torchvision report; BN moving statistics excluded). */
export function trainableParams(model: tflTypes.LayersModel): number {
  let n = 0;
  for (const wt of model.trainableWeights) n += (wt.shape as (number | null)[]).reduce<number>((acc, d) => acc * (d ?? 1), 1);
  return n;
}

/**
 * Draw the weights from `random`: convolutions He-normal over fan-out (as torchvision's
 * ResNet), the head uniform in +-1/sqrt(fan-in), batch norm gamma 1 / beta 0, moving
 * mean 0 / variance 1. `only` restricts it to some layers (a new head on a loaded body).
 */
export async function initWeights(model: tflTypes.LayersModel, random: Random, only?: Set<string>): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  for (const layer of model.layers) {
    if (only && !only.has(layer.name)) continue;
    const cls = layer.getClassName();
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const rng = random.fork(layer.name);
    const values = weights.map((wt) => {
      const shape = wt.shape as number[];
      const size = shape.reduce((p, d) => p * d, 1);
      const v = new Float32Array(size);
      const base = wt.originalName.split('/').pop() ?? wt.name;
      if (cls === 'Conv2D' && base === 'kernel') {
        const fanOut = shape[0] * shape[1] * shape[3];
        const sd = Math.sqrt(2 / fanOut);
        for (let i = 0; i < size; i++) v[i] = rng.normal(0, sd);
      } else if (cls === 'Dense') {
        const fanIn = layer.weights[0].shape[0] as number; // the kernel's rows, for the bias too
        const bound = 1 / Math.sqrt(fanIn);
        for (let i = 0; i < size; i++) v[i] = rng.uniform(-bound, bound);
      } else if (base === 'gamma' || base === 'moving_variance') {
        v.fill(1);
      }
      return tf.tensor(v, shape);
    });
    layer.setWeights(values);
    for (const t of values) t.dispose();
  }
}
