// The shared definition of `train-onehot` and `train-soft`: ports, params with
// defaults, checks. Cheap to import (no TensorFlow.js): the implementation is
// loaded by `run` from ./run.js.

import { defineNode, type NodeDefinition } from '../../runner/node-api.js';
import type { TargetKind } from './data.js';

export interface TrainParams {
  arch: 'compact' | 'resnet18' | 'resnet34' | 'resnet50' | 'resnet101' | 'resnet152';
  width: number | null;
  input: number;
  epochs: number;
  batch_size: number;
  optimizer: 'adam' | 'sgd' | 'momentum';
  learning_rate: number;
  lr_schedule: 'constant' | 'cosine' | 'step';
  weight_decay: number;
  augment: { flip: boolean; shift: number; rotate: number; brightness: number };
  seed: number;
  merge: 'study5' | 'none';
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  init: string | null;
  validation: boolean;
}

/*
 * Defaults, chosen on this project's 2-core CPU machine for the CAFE-shaped synthetic
 * set (48x48 grey, ~950 train images) with the two trainings running side by side,
 * one per core: the compact ResNet at its standard width 12 (44k parameters, ~85-100
 * training images/s per core on wasm) at 48x48, where the expression cues are a few
 * pixels wide; 10 epochs of Adam (lr 0.003, cosine) in batches of 16, which learns the
 * expressions well above chance (held-out accuracy ~0.78 against 0.34 for the
 * majority class) in about two minutes per training. Batches of 16 learned more per
 * epoch than 32 at the same speed; lr 0.006 did worse. Augmentation is a mirror flip
 * only by default: within 10 epochs, shifts, rotations and brightness changes cost
 * more than they gave (held-out accuracy 0.69 with them, 0.78-0.79 without, measured on
 * the default data), since the synthetic set already varies pose and light. The study's
 * own configuration is `arch: resnet152, input: 224` (a GPU's job).
 */
export const DEFAULTS = {
  arch: 'compact',
  input: 48,
  epochs: 10,
  batch_size: 16,
  learning_rate: 0.003,
  weight_decay: 0.0005,
} as const;

const DOC: Record<TargetKind, string> = {
  onehot: 'Trains a ResNet on one-hot targets: the plurality label of each image (lab raters, or a given label set; ties go to the lowest class index). Soft cross-entropy loss; everything else identical to train-soft.',
  soft: 'Trains a ResNet on soft targets: the full label distribution of each image (lab raters, or a given label set). Soft cross-entropy loss (KL divergence up to a constant); everything else identical to train-onehot.',
};

export function makeTrainNode(target: TargetKind): NodeDefinition<TrainParams> {
  return defineNode<TrainParams>({
    type: target === 'onehot' ? 'train-onehot' : 'train-soft',
    version: 1,
    description: DOC[target],
    inputs: {
      dataset: { kinds: ['dataset'], description: 'images with their split and lab counts (load-cafe)' },
      labels: {
        kinds: ['labels'],
        optional: true,
        description: 'train on these labels instead of the lab counts (e.g. a crowd aggregate): only labelled train-split images are used; classes come from the label set',
      },
    },
    outputs: {
      model: { kind: 'model', description: 'TensorFlow.js layers model (model.json + weights.bin); takes raw 0-255 pixels, outputs class probabilities', publish: true },
      history: { kind: 'history', description: 'per-epoch loss and accuracy, train and held-out (history.json)' },
      predictions: { kind: 'predictions', description: 'softmax over the classes for every test-split image' },
    },
    params: {
      type: 'object',
      additionalProperties: false,
      properties: {
        arch: {
          type: 'string',
          enum: ['compact', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'],
          default: DEFAULTS.arch,
          description: 'network: compact (3 stages of one basic block, a CPU-sized ResNet for small images) or ResNet-18/34/50/101/152 as in He et al. (the study used resnet152 at 224)',
        },
        width: {
          type: ['integer', 'null'],
          minimum: 1,
          default: null,
          description: 'channels of the first stage (later stages double it); null: the standard width (12 for compact, 64 for the ResNets)',
        },
        input: { type: 'integer', minimum: 8, maximum: 1024, default: DEFAULTS.input, description: 'input size in pixels (square); images are resized to it when the dataset differs' },
        epochs: { type: 'integer', minimum: 1, default: DEFAULTS.epochs, description: 'passes over the training images' },
        batch_size: { type: 'integer', minimum: 2, default: DEFAULTS.batch_size, description: 'images per step (the last partial batch of an epoch is dropped)' },
        optimizer: { type: 'string', enum: ['adam', 'sgd', 'momentum'], default: 'adam', description: 'adam (weight decay decoupled, as AdamW), sgd, or sgd with momentum 0.9' },
        learning_rate: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.learning_rate, description: 'initial learning rate' },
        lr_schedule: { type: 'string', enum: ['constant', 'cosine', 'step'], default: 'cosine', description: 'constant; cosine decay to 0; or step (x0.1 at 50% and again at 75% of the steps)' },
        weight_decay: { type: 'number', minimum: 0, default: DEFAULTS.weight_decay, description: 'weight decay on convolution and dense kernels' },
        augment: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: 'training-time augmentation, drawn per image and epoch from the seed',
          properties: {
            flip: { type: 'boolean', default: true, description: 'mirror left-right half of the time' },
            shift: { type: 'number', minimum: 0, maximum: 0.5, default: 0, description: 'largest shift as a fraction of the image size (0 = off)' },
            rotate: { type: 'number', minimum: 0, maximum: 180, default: 0, description: 'largest rotation in degrees (0 = off)' },
            brightness: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'brightness factor drawn from [1-b, 1+b] (0 = off)' },
          },
        },
        seed: { type: 'integer', default: 1, description: 'seed for weight init, shuffling and augmentation: equal params and seed on one backend give equal predictions' },
        merge: { type: 'string', enum: ['study5', 'none'], default: 'study5', description: "class merge for the lab counts: study5 (the study's 5 classes) or none (CAFE's 7); a labels input brings its own" },
        backend: {
          type: 'string',
          enum: ['auto', 'tensorflow', 'wasm', 'cpu'],
          default: 'auto',
          description: 'TensorFlow.js backend; auto tries tfjs-node-gpu, tfjs-node, wasm, cpu in that order (env SOFTLAB_BACKEND overrides auto)',
        },
        init: {
          type: ['string', 'null'],
          default: null,
          description: 'optional folder with a local tfjs LayersModel (model.json + weights) to start from; its head is replaced; never downloaded',
        },
        validation: { type: 'boolean', default: true, description: 'evaluate on the test split after every epoch (held-out curves); the final predictions are made either way' },
      },
    },
    // one worker per training (wasm has no threads under Node); long, so cheap nodes go first
    resources: { threads: 1, cost: 100 },
    fileDeps: (p) => (p.init ? [p.init] : []),
    check(p) {
      const problems: { param: string; message: string }[] = [];
      if (p.arch !== 'compact' && p.input < 32) problems.push({ param: 'input', message: `${p.arch} downsamples 32x; use input >= 32 (or arch: compact)` });
      return problems;
    },
    async run(ctx) {
      const { runTraining } = await import('./run.js');
      await runTraining(ctx, target);
    },
  });
}
