/**
 * Native Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 for the
 * tfjs cpu backend (NDHWC, any stride, 'same'/'valid', dilation 1).
 * Other configurations go to the tfjs kernel that was registered before.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, geomFromInfo, packGeom, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

type Pad = 'valid' | 'same';
type Triple = [number, number, number] | number;

export const conv3dKernel: NativeKernel = {
  kernelName: 'Conv3D',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, filter } = args.inputs;
    const { strides, pad, dilations } = args.attrs as { strides: Triple; pad: Pad; dilations: Triple };
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    if (x === undefined || filter === undefined || xv === undefined || wv === undefined) return ctx.fallback(args);
    const info = tf.backend_util.computeConv3DInfo(x.shape as [number, number, number, number, number],
      filter.shape as [number, number, number, number, number], strides, dilations, pad);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const out = ctx.alloc(g.N * g.OD * g.OH * g.OW * g.Co);
    ctx.addon.conv3d(xv, wv, packGeom(g), out, null, 0);
    return backend.makeTensorInfo(info.outShape, 'float32', out);
  },
};

export const conv3dBackpropInputKernel: NativeKernel = {
  kernelName: 'Conv3DBackpropInputV2',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy, filter } = args.inputs;
    const { strides, pad, inputShape } = args.attrs as { strides: Triple; pad: Pad; inputShape: number[] };
    const dyv = f32(backend, dy);
    const wv = f32(backend, filter);
    if (filter === undefined || dyv === undefined || wv === undefined) return ctx.fallback(args);
    const info = tf.backend_util.computeConv3DInfo(inputShape as [number, number, number, number, number],
      filter.shape as [number, number, number, number, number], strides, 1, pad);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const dx = ctx.alloc(g.N * g.D * g.H * g.W * g.Ci);
    ctx.addon.conv3dBackpropInput(dyv, wv, packGeom(g), dx);
    return backend.makeTensorInfo(info.inShape, 'float32', dx);
  },
};

export const conv3dBackpropFilterKernel: NativeKernel = {
  kernelName: 'Conv3DBackpropFilterV2',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, dy } = args.inputs;
    const { strides, pad, filterShape } = args.attrs as { strides: Triple; pad: Pad; filterShape: number[] };
    const xv = f32(backend, x);
    const dyv = f32(backend, dy);
    if (x === undefined || xv === undefined || dyv === undefined) return ctx.fallback(args);
    const info = tf.backend_util.computeConv3DInfo(x.shape as [number, number, number, number, number],
      filterShape as [number, number, number, number, number], strides, 1, pad);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const dw = ctx.alloc(g.KD * g.KH * g.KW * g.Ci * g.Co);
    ctx.addon.conv3dBackpropFilter(xv, dyv, packGeom(g), dw);
    return backend.makeTensorInfo(filterShape, 'float32', dw);
  },
};
