/**
 * The config object every native kernel exports (tfjs' KernelConfig, built once the addon is loaded);
 * kernels.ts lists them all and register.ts registers them.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NativeContext } from './addon.js';

/** A native kernel: its tfjs name and how to build its kernelFunc. */
export interface NativeKernel {
  kernelName: string;
  make(ctx: NativeContext): tf.KernelFunc;
}
