/**
 * Native Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and FusedConv2D
 * (bias + linear/relu/elu) for the tfjs cpu backend: a 2D convolution is
 * the 3D one with depth 1, except stride-1 convolutions with few output
 * channels (the edge CNN's 3 filters), which go to planar kernels that
 * vectorise along W (native/src/conv2d_small.cc). NCHW, dilation > 1 and
 * other activations go to the tfjs kernels that were registered before.
 */
import * as tf from '@tensorflow/tfjs';
import { ACT, f32, geomFromInfo, packGeom, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

type Pair = [number, number] | number;
type Pad2 = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
interface Conv2DAttrs {
  strides: Pair;
  pad: Pad2;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: Pair;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  inputShape?: number[];
  filterShape?: number[];
}

function info2d(xShape: number[], wShape: number[], a: Conv2DAttrs, dilations: Pair) {
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], wShape as [number, number, number, number],
    a.strides, dilations, a.pad, a.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC'));
}

export const conv2dKernel: NativeKernel = {
  kernelName: 'Conv2D',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, filter } = args.inputs;
    const a = args.attrs as unknown as Conv2DAttrs;
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    if (x === undefined || filter === undefined || xv === undefined || wv === undefined) return ctx.fallback(args);
    const info = info2d(x.shape, filter.shape, a, a.dilations ?? 1);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const out = ctx.alloc(g.N * g.OH * g.OW * g.Co);
    const geom = packGeom(g);
    if (!ctx.addon.conv2dSmall(xv, wv, geom, out, null, ACT.none)) ctx.addon.conv3d(xv, wv, geom, out, null, ACT.none);
    return backend.makeTensorInfo(info.outShape, 'float32', out);
  },
};

export const fusedConv2dKernel: NativeKernel = {
  kernelName: 'FusedConv2D',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const a = args.attrs as unknown as Conv2DAttrs;
    const act = a.activation === undefined || a.activation === 'linear' ? ACT.none
      : a.activation === 'relu' ? ACT.relu : a.activation === 'elu' ? ACT.elu : undefined;
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    const bv = bias === undefined ? null : f32(backend, bias) ?? undefined;
    if (x === undefined || filter === undefined || xv === undefined || wv === undefined || act === undefined ||
      preluActivationWeights !== undefined || bv === undefined) return ctx.fallback(args);
    const info = info2d(x.shape, filter.shape, a, a.dilations ?? 1);
    const g = geomFromInfo(info);
    if (g === undefined || (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== g.Co))) return ctx.fallback(args);
    const out = ctx.alloc(g.N * g.OH * g.OW * g.Co);
    const geom = packGeom(g);
    if (act === ACT.elu || !ctx.addon.conv2dSmall(xv, wv, geom, out, bv, act)) ctx.addon.conv3d(xv, wv, geom, out, bv, act);
    return backend.makeTensorInfo(info.outShape, 'float32', out);
  },
};

export const conv2dBackpropInputKernel: NativeKernel = {
  kernelName: 'Conv2DBackpropInput',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy, filter } = args.inputs;
    const a = args.attrs as unknown as Conv2DAttrs;
    const dyv = f32(backend, dy);
    const wv = f32(backend, filter);
    if (filter === undefined || dyv === undefined || wv === undefined || a.inputShape === undefined) return ctx.fallback(args);
    const info = info2d(a.inputShape, filter.shape, a, 1);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const dx = ctx.alloc(g.N * g.H * g.W * g.Ci);
    const geom = packGeom(g);
    if (!ctx.addon.conv2dSmallDx(dyv, wv, geom, dx)) ctx.addon.conv3dBackpropInput(dyv, wv, geom, dx);
    return backend.makeTensorInfo(info.inShape, 'float32', dx);
  },
};

export const conv2dBackpropFilterKernel: NativeKernel = {
  kernelName: 'Conv2DBackpropFilter',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, dy } = args.inputs;
    const a = args.attrs as unknown as Conv2DAttrs;
    const xv = f32(backend, x);
    const dyv = f32(backend, dy);
    if (x === undefined || xv === undefined || dyv === undefined || a.filterShape === undefined) return ctx.fallback(args);
    const info = info2d(x.shape, a.filterShape, a, 1);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const dw = ctx.alloc(g.KH * g.KW * g.Ci * g.Co);
    const geom = packGeom(g);
    if (!ctx.addon.conv2dSmallDw(xv, dyv, geom, dw)) ctx.addon.conv3dBackpropFilter(xv, dyv, geom, dw);
    return backend.makeTensorInfo(a.filterShape, 'float32', dw);
  },
};
