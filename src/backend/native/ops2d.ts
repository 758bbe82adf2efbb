/**
 * Native kernels for the non-conv parts of 2D CNN training steps, which
 * tfjs' cpu backend runs in single-threaded JS: Relu, Step, Square, RealDiv,
 * Tile, Mean (over any contiguous block of axes), FusedBatchNorm, and two
 * kernels only our gradients call (TransmriReluGrad, TransmriBatchNormGrad;
 * see grads2d.ts). Unsupported dtypes and shapes go to the tfjs kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';
import { broadcastBinaryKernel, mapKernel } from './eltwise.js';

const size = (shape: number[]) => shape.reduce((p, v) => p * v, 1);

/** Unary op codes of the addon's `unary`. */
const UNARY = { relu: 0, step: 1, square: 2 } as const;

const unaryKernel = (kernelName: string, op: number): NativeKernel =>
  mapKernel(kernelName, (ctx, x, out, n, attrs) => ctx.addon.unary(op, x, out, n, op === UNARY.step ? Number((attrs as { alpha?: number } | undefined)?.alpha ?? 0) : 0));

export const reluKernel = unaryKernel('Relu', UNARY.relu);
export const stepKernel = unaryKernel('Step', UNARY.step);
export const squareKernel = unaryKernel('Square', UNARY.square);

export const realDivKernel = broadcastBinaryKernel('RealDiv', (ctx, a, b, out, n, mode, inner) => ctx.addon.divide(a, b, out, n, mode, inner));

export const tileKernel: NativeKernel = {
  kernelName: 'Tile',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x } = args.inputs;
    const { reps } = args.attrs as { reps: number[] };
    const xv = f32(backend, x);
    if (x === undefined || xv === undefined || x.shape.length === 0 || reps.length !== x.shape.length) return ctx.fallback(args);
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = ctx.alloc(size(outShape));
    if (out.length > 0) ctx.addon.tile(xv, Int32Array.from(x.shape), Int32Array.from(reps), out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  },
};

export const meanKernel: NativeKernel = {
  kernelName: 'Mean',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const xv = f32(backend, x);
    if (x === undefined || xv === undefined || x.shape.length === 0) return ctx.fallback(args);
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
    if (axes.length === 0) return ctx.fallback(args);
    // A contiguous block of axes: x as [outer, reduced, inner] (global pooling reduces [1, 2] of NHWC).
    const contiguous = axes.every((v, i) => v === axes[0] + i);
    const reduced = size(axes.map((i) => x.shape[i]));
    if (!contiguous || reduced === 0) return ctx.fallback(args);
    const outer = size(x.shape.slice(0, axes[0]));
    const inner = size(x.shape.slice(axes[axes.length - 1] + 1));
    const kept = outer * inner;
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const out = ctx.alloc(kept);
    if (inner === 1) {
      ctx.addon.sumTrailing(xv, kept, reduced, out);
      for (let i = 0; i < kept; i++) out[i] /= reduced;
    } else {
      for (let o = 0; o < outer; o++) {
        ctx.addon.meanLeading(xv.subarray(o * reduced * inner, (o + 1) * reduced * inner), reduced, inner, out.subarray(o * inner, (o + 1) * inner));
      }
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  },
};

/** Values of a per-channel parameter (rank 1, length c), null when absent, undefined when unsupported. */
function channelParam(backend: CpuBackendLike, t: tf.TensorInfo | undefined, c: number): Float32Array | null | undefined {
  if (t === undefined) return null;
  if (t.shape.length !== 1 || t.shape[0] !== c) return undefined;
  return f32(backend, t);
}

/** The inputs of the batch-norm gradient kernels, checked: x and dy of one shape, rank-1 mean/variance/scale of its channel count. */
function batchNormGradInputs(kernelName: string, args: KernelArgs, nonEmpty: boolean) {
  const backend = args.backend as CpuBackendLike;
  const { x, dy, mean, variance, scale } = args.inputs;
  const eps = Number((args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? 0.001);
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  const c = x === undefined || x.shape.length === 0 ? 0 : x.shape[x.shape.length - 1];
  const mv = channelParam(backend, mean, c);
  const vv = channelParam(backend, variance, c);
  const sv = channelParam(backend, scale, c);
  if (x === undefined || xv === undefined || dyv === undefined || dyv.length !== xv.length || c === 0 || (nonEmpty && xv.length === 0) || !mv || !vv || sv === undefined) {
    throw new Error(`${kernelName}: needs float32 x and dy of one shape and rank-1 mean/variance/scale of its channel count`);
  }
  return { backend, x, xv, dyv, mv, vv, sv, eps, c };
}

export const batchNormKernel: NativeKernel = {
  kernelName: 'FusedBatchNorm',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, mean, variance, scale, offset } = args.inputs;
    const eps = Number((args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? 0.001);
    const xv = f32(backend, x);
    if (x === undefined || xv === undefined || x.shape.length === 0) return ctx.fallback(args);
    const c = x.shape[x.shape.length - 1];
    const mv = channelParam(backend, mean, c);
    const vv = channelParam(backend, variance, c);
    const sv = channelParam(backend, scale, c);
    const ov = channelParam(backend, offset, c);
    if (!mv || !vv || sv === undefined || ov === undefined || c === 0) return ctx.fallback(args);
    const out = ctx.alloc(xv.length);
    ctx.addon.batchNorm(xv, mv, vv, sv, ov, eps, xv.length / c, c, out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  },
};

/** dy * step(x) in one pass (the Relu gradient of grads2d.ts). Inputs dy, x: float32, same shape. */
export const reluGradKernel: NativeKernel = {
  kernelName: 'TransmriReluGrad',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy, x } = args.inputs;
    const dyv = f32(backend, dy);
    const xv = f32(backend, x);
    if (dy === undefined || dyv === undefined || xv === undefined || dyv.length !== xv.length) {
      throw new Error('TransmriReluGrad: needs float32 dy and x of the same size');
    }
    const out = ctx.alloc(dyv.length);
    ctx.addon.reluGrad(dyv, xv, out, dyv.length);
    return backend.makeTensorInfo(dy.shape, 'float32', out);
  },
};

/**
 * The gradients of FusedBatchNorm in one pass over x and dy (grads2d.ts):
 * outputs [dx, dMean, dVariance, dScale, dOffset]. Inputs x, dy (float32,
 * same shape, channels last), mean, variance and optional scale (rank 1, C).
 */
export const batchNormGradKernel: NativeKernel = {
  kernelName: 'TransmriBatchNormGrad',
  make: (ctx) => (args: KernelArgs) => {
    const { backend, x, xv, dyv, mv, vv, sv, eps, c } = batchNormGradInputs('TransmriBatchNormGrad', args, false);
    const dx = ctx.alloc(xv.length);
    const parts = [ctx.alloc(c), ctx.alloc(c), ctx.alloc(c), ctx.alloc(c)];
    ctx.addon.batchNormGrad(xv, dyv, mv, vv, sv, eps, xv.length / c, c, dx, parts[0], parts[1], parts[2], parts[3]);
    return [backend.makeTensorInfo(x.shape, 'float32', dx), ...parts.map((p) => backend.makeTensorInfo([c], 'float32', p))];
  },
};

/** Per-channel mean and biased variance over all leading axes: outputs [mean, variance] (ops/batch-norm-train.ts). */
export const momentsKernel: NativeKernel = {
  kernelName: 'TransmriMoments',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x } = args.inputs;
    const xv = f32(backend, x);
    const c = x === undefined || x.shape.length === 0 ? 0 : x.shape[x.shape.length - 1];
    if (x === undefined || xv === undefined || c === 0 || xv.length === 0) throw new Error('TransmriMoments: needs a non-empty float32 x with channels last');
    const mean = ctx.alloc(c);
    const variance = ctx.alloc(c);
    ctx.addon.moments(xv, xv.length / c, c, mean, variance);
    return [backend.makeTensorInfo([c], 'float32', mean), backend.makeTensorInfo([c], 'float32', variance)];
  },
};

/**
 * Gradient of batch normalisation with x's own batch statistics (ops/batch-norm-train.ts):
 * inputs x, dy, mean, variance, scale; outputs [dx, dScale, dOffset].
 */
export const batchNormTrainGradKernel: NativeKernel = {
  kernelName: 'TransmriBatchNormTrainGrad',
  make: (ctx) => (args: KernelArgs) => {
    const { backend, x, xv, dyv, mv, vv, sv, eps, c } = batchNormGradInputs('TransmriBatchNormTrainGrad', args, true);
    const dx = ctx.alloc(xv.length);
    const dScale = ctx.alloc(c);
    const dOffset = ctx.alloc(c);
    ctx.addon.batchNormTrainGrad(xv, dyv, mv, vv, sv, eps, xv.length / c, c, dx, dScale, dOffset);
    return [backend.makeTensorInfo(x.shape, 'float32', dx), backend.makeTensorInfo([c], 'float32', dScale), backend.makeTensorInfo([c], 'float32', dOffset)];
  },
};
