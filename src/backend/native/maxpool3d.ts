/**
 * Native MaxPool3D and MaxPool3DGrad for the tfjs cpu backend (NDHWC). The
 * gradient goes to the last maximum of each window, as in tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, geomFromInfo, packGeom, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

type Triple = [number, number, number] | number;
interface PoolAttrs {
  filterSize: Triple;
  strides: Triple;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NDHWC' | 'NCDHW';
}

function poolInfo(shape: number[], a: PoolAttrs) {
  return tf.backend_util.computePool3DInfo(shape as [number, number, number, number, number], a.filterSize, a.strides, 1,
    a.pad, a.dimRoundingMode, a.dataFormat ?? 'NDHWC');
}

export const maxPool3dKernel: NativeKernel = {
  kernelName: 'MaxPool3D',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x } = args.inputs;
    const xv = f32(backend, x);
    if (x === undefined || xv === undefined) return ctx.fallback(args);
    const info = poolInfo(x.shape, args.attrs as unknown as PoolAttrs);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const out = ctx.alloc(g.N * g.OD * g.OH * g.OW * g.Ci);
    ctx.addon.maxPool3d(xv, packGeom(g), out);
    return backend.makeTensorInfo(info.outShape, 'float32', out);
  },
};

export const maxPool3dGradKernel: NativeKernel = {
  kernelName: 'MaxPool3DGrad',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy, input } = args.inputs;
    const dyv = f32(backend, dy);
    const xv = f32(backend, input);
    if (input === undefined || dyv === undefined || xv === undefined) return ctx.fallback(args);
    const info = poolInfo(input.shape, args.attrs as unknown as PoolAttrs);
    const g = geomFromInfo(info);
    if (g === undefined) return ctx.fallback(args);
    const dx = ctx.alloc(g.N * g.D * g.H * g.W * g.Ci);
    ctx.addon.maxPool3dGrad(dyv, xv, packGeom(g), dx);
    return backend.makeTensorInfo(input.shape, 'float32', dx);
  },
};
