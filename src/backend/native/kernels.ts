/**
 * The list of transmri's native kernels and their registration on the tfjs
 * cpu backend. Registering saves the tfjs kernel each one replaces (used for
 * configurations the addon does not handle, and restored by
 * {@link unregisterKernels}).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, NativeAddon, NativeContext } from './addon.js';
import { conv3dBackpropFilterKernel, conv3dBackpropInputKernel, conv3dKernel } from './conv3d.js';
import type { NativeKernel } from './kernel-config.js';
import { maxPool3dGradKernel, maxPool3dKernel } from './maxpool3d.js';
import { conv2dBackpropFilterKernel, conv2dBackpropInputKernel, conv2dKernel, fusedConv2dKernel } from './conv2d.js';
import { upsample3dGradKernel, upsample3dKernel } from './upsample3d.js';
import {
  absKernel, addKernel, eluGradKernel, eluKernel, fillKernel, multiplyKernel, negKernel, sigmoidKernel, sqrtKernel,
  squaredDifferenceKernel, subKernel, sumKernel,
} from './eltwise.js';
import { upSampling3dGradConfig } from '../ops/upsample3d.js';
import { actGradKernel, conv3dBiasActGradConfig, conv3dBiasActKernel } from './fused3d.js';
import { maxPool2dGradKernel, maxPool2dKernel } from './pool2d.js';
import { batchNormGradKernel, batchNormKernel, batchNormTrainGradKernel, meanKernel, momentsKernel, realDivKernel, reluGradKernel, reluKernel, squareKernel, stepKernel, tileKernel } from './ops2d.js';
import { installNativeGradients, restoreGradients } from './grads2d.js';
import { batchMatMulKernel, fusedMatMulKernel } from './matmul.js';
import { adamUpdateKernel } from './adam.js';

/** Every native kernel, in registration order. */
export const NATIVE_KERNELS: readonly NativeKernel[] = [
  conv3dKernel,
  conv3dBackpropInputKernel,
  conv3dBackpropFilterKernel,
  maxPool3dKernel,
  maxPool3dGradKernel,
  conv2dKernel,
  fusedConv2dKernel,
  conv2dBackpropInputKernel,
  conv2dBackpropFilterKernel,
  upsample3dKernel,
  upsample3dGradKernel,
  addKernel,
  subKernel,
  multiplyKernel,
  eluKernel,
  eluGradKernel,
  sumKernel,
  conv3dBiasActKernel,
  actGradKernel,
  squaredDifferenceKernel,
  sigmoidKernel,
  sqrtKernel,
  absKernel,
  negKernel,
  fillKernel,
  maxPool2dKernel,
  maxPool2dGradKernel,
  reluKernel,
  stepKernel,
  squareKernel,
  realDivKernel,
  tileKernel,
  meanKernel,
  batchNormKernel,
  reluGradKernel,
  batchNormGradKernel,
  momentsKernel,
  batchNormTrainGradKernel,
  batchMatMulKernel,
  fusedMatMulKernel,
  adamUpdateKernel,
];

const BACKEND = 'cpu';

/** The kernels that were registered before ours, by name (undefined: there was none). */
export type SavedKernels = Map<string, tf.KernelConfig | undefined>;

/**
 * Replaces the cpu kernels by the native ones. Throws if the list names a
 * kernel twice. Returns what was replaced, for {@link unregisterKernels}.
 */
export function registerKernels(addon: NativeAddon, alloc: (n: number) => Float32Array): SavedKernels {
  const names = NATIVE_KERNELS.map((k) => k.kernelName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`native kernels: ${dup} is listed twice`);
  const saved: SavedKernels = new Map();
  for (const kernel of NATIVE_KERNELS) {
    const previous = tf.getKernel(kernel.kernelName, BACKEND);
    saved.set(kernel.kernelName, previous);
    const fallback = previous
      ? (args: KernelArgs) => previous.kernelFunc(args as Parameters<tf.KernelFunc>[0])
      : () => {
        throw new Error(`${kernel.kernelName}: configuration not supported by the native kernel and no tfjs kernel to fall back to`);
      };
    const ctx: NativeContext = { addon, fallback, alloc };
    if (previous) tf.unregisterKernel(kernel.kernelName, BACKEND);
    tf.registerKernel({ kernelName: kernel.kernelName, backendName: BACKEND, kernelFunc: kernel.make(ctx) as tf.KernelFunc });
  }
  if (tf.getGradient(upSampling3dGradConfig.kernelName) === undefined) tf.registerGradient(upSampling3dGradConfig);
  if (tf.getGradient(conv3dBiasActGradConfig.kernelName) === undefined) tf.registerGradient(conv3dBiasActGradConfig);
  installNativeGradients();
  return saved;
}

/** Puts back the kernels saved by {@link registerKernels}. */
export function unregisterKernels(saved: SavedKernels): void {
  restoreGradients();
  for (const [name, previous] of saved) {
    if (tf.getKernel(name, BACKEND) !== undefined) tf.unregisterKernel(name, BACKEND);
    if (previous !== undefined) tf.registerKernel(previous);
  }
}
