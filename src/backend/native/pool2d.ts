/**
 * Native MaxPool and MaxPoolGrad (2D, NHWC) for the tfjs cpu backend. The
 * gradient goes to the first maximum of each window in (h, w) order, as in
 * tfjs' maxPoolPositions. Dilation > 1 and NCHW go to the tfjs kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

type Pair = [number, number] | number;
interface Pool2DAttrs {
  filterSize: Pair;
  strides: Pair;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The addon's pool geometry [N, H, W, C, KH, KW, SH, SW, OH, OW, padT, padL], or undefined when not supported. */
export function pool2dGeom(shape: number[], a: Pool2DAttrs): { geom: Int32Array; outShape: number[] } | undefined {
  if (shape.length !== 4) return undefined;
  const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.dataFormat !== 'channelsLast') return undefined;
  const { top, left } = info.padInfo;
  if (top < 0 || left < 0 || top >= info.filterHeight || left >= info.filterWidth) return undefined;
  const dims = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.outHeight, info.outWidth, top, left];
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || info.outHeight === 0 || info.outWidth === 0) return undefined;
  return { geom: Int32Array.from(dims), outShape: info.outShape };
}

export const maxPool2dKernel: NativeKernel = {
  kernelName: 'MaxPool',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x } = args.inputs;
    const xv = f32(backend, x);
    if (x === undefined || xv === undefined) return ctx.fallback(args);
    const p = pool2dGeom(x.shape, args.attrs as unknown as Pool2DAttrs);
    if (p === undefined) return ctx.fallback(args);
    const out = ctx.alloc(p.outShape.reduce((s, v) => s * v, 1));
    ctx.addon.maxPool2d(xv, p.geom, out);
    return backend.makeTensorInfo(p.outShape, 'float32', out);
  },
};

export const maxPool2dGradKernel: NativeKernel = {
  kernelName: 'MaxPoolGrad',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy, input } = args.inputs;
    const dyv = f32(backend, dy);
    const xv = f32(backend, input);
    if (input === undefined || dy === undefined || dyv === undefined || xv === undefined) return ctx.fallback(args);
    const p = pool2dGeom(input.shape, args.attrs as unknown as Pool2DAttrs);
    if (p === undefined || !tf.util.arraysEqual(p.outShape, dy.shape)) return ctx.fallback(args);
    const dx = ctx.alloc(xv.length);
    ctx.addon.maxPool2dGrad(dyv, xv, p.geom, dx);
    return backend.makeTensorInfo(input.shape, 'float32', dx);
  },
};
