// Registers softlab's kernels with TensorFlow.js: the convolution gradients the
// wasm backend lacks (or runs slowly), the cpu backend's slow filter gradient, and
// the fused batch-norm kernels the fast training engine uses. Idempotent.

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dFilterGrad, conv2dInputGrad, convGeometry, type PadParam } from './conv-grad.js';
import { registerFusedKernels } from './fused.js';

/** The kernels we replace, per backend (the original configs are kept for tests and comparisons). */
export const OVERRIDDEN: Record<string, readonly string[]> = {
  wasm: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  cpu: ['Conv2DBackpropFilter'],
};

const originals = new Map<string, KernelConfig | undefined>();
const overridesOn = new Set<string>();

/**
 * Wrap kernel inputs as tensors for the duration of `f` (sharing their data, no
 * copy). makeTensorFromTensorInfo does not take a backend reference, and disposing
 * the wrapper drops one, so take one first.
 */
function withTensors<T>(infos: TensorInfo[], f: (ts: tf.Tensor[]) => T): T {
  const backend = tf.backend() as unknown as { incRef(dataId: object): void };
  const ts = infos.map((i) => {
    backend.incRef(i.dataId);
    return tf.engine().makeTensorFromTensorInfo(i);
  });
  try {
    return f(ts);
  } finally {
    for (const t of ts) t.dispose();
  }
}

/** The attributes both convolution-gradient kernels get; only NHWC is supported. */
interface ConvGradAttrs {
  strides: number | [number, number];
  pad: PadParam;
  dataFormat: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: number[];
  inputShape: number[];
}

function convGradAttrs(kernel: string, attrs: NamedAttrMap | undefined): ConvGradAttrs {
  const a = attrs as unknown as ConvGradAttrs;
  if (a.dataFormat && a.dataFormat !== 'NHWC') throw new Error(`${kernel}: only NHWC is supported, got ${a.dataFormat}`);
  return a;
}

function filterGradKernel({ inputs, attrs }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap }): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = convGradAttrs('Conv2DBackpropFilter', attrs);
  return withTensors([x, dy], ([xt, dyt]) => {
    const g = convGeometry(tf, xt.shape, a.filterShape, a.strides, a.pad, 1, a.dimRoundingMode);
    return conv2dFilterGrad(tf, xt as Tensor4D, dyt as Tensor4D, g);
  });
}

function inputGradKernel({ inputs, attrs }: { inputs: NamedTensorInfoMap; attrs?: NamedAttrMap }): TensorInfo {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = convGradAttrs('Conv2DBackpropInput', attrs);
  return withTensors([dy, filter], ([dyt, ft]) => {
    const g = convGeometry(tf, a.inputShape, ft.shape, a.strides, a.pad, 1, a.dimRoundingMode);
    return conv2dInputGrad(tf, dyt as Tensor4D, ft as Tensor4D, g);
  });
}

const IMPLS: Record<string, KernelConfig['kernelFunc']> = {
  Conv2DBackpropFilter: filterGradKernel as KernelConfig['kernelFunc'],
  Conv2DBackpropInput: inputGradKernel as KernelConfig['kernelFunc'],
};

/** Switch softlab's convolution-gradient kernels on (default) or back to the backend's own for `backend`. */
export function useConvGradOverrides(backend: string, on = true): void {
  for (const name of OVERRIDDEN[backend] ?? []) {
    const key = `${backend}_${name}`;
    if (!originals.has(key)) originals.set(key, tf.getKernel(name, backend));
    const isOn = overridesOn.has(key);
    if (on === isOn) continue;
    if (tf.getKernel(name, backend)) tf.unregisterKernel(name, backend);
    if (on) {
      tf.registerKernel({ kernelName: name, backendName: backend, kernelFunc: IMPLS[name] });
      overridesOn.add(key);
    } else {
      const orig = originals.get(key);
      if (orig) tf.registerKernel(orig);
      overridesOn.delete(key);
    }
  }
}

/** Everything softlab's training needs registered on `backend` (a tfjs backend name). */
export function registerTrainingKernels(backend: string): void {
  useConvGradOverrides(backend, true);
  registerFusedKernels(backend);
}
