/**
 * Native nearest-neighbour 3D upsampling (kernel `TransmriUpSampling3D`) and
 * its gradient (`TransmriUpSampling3DGrad`, block sums) on the cpu backend.
 * The op `upSampling3d` (src/backend/ops/upsample3d.ts) uses them when they
 * are registered and its pure-tf path otherwise.
 */
import { f32, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';
import { UPSAMPLING3D_GRAD_KERNEL, UPSAMPLING3D_KERNEL } from '../ops/upsample3d.js';

function params(shape: number[], size: [number, number, number]): Int32Array {
  return Int32Array.from([shape[0], shape[1], shape[2], shape[3], shape[4], size[0], size[1], size[2]]);
}

function unsupported(name: string): never {
  throw new Error(`${name}: input must be a float32 tensor on the cpu backend`);
}

export const upsample3dKernel: NativeKernel = {
  kernelName: UPSAMPLING3D_KERNEL,
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x } = args.inputs;
    const { size } = args.attrs as { size: [number, number, number] };
    const xv = f32(backend, x);
    if (x === undefined || xv === undefined) return unsupported(UPSAMPLING3D_KERNEL);
    const outShape = [x.shape[0], x.shape[1] * size[0], x.shape[2] * size[1], x.shape[3] * size[2], x.shape[4]];
    const out = ctx.alloc(outShape.reduce((p, v) => p * v, 1));
    ctx.addon.upsample3dNearest(xv, params(x.shape, size), out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  },
};

export const upsample3dGradKernel: NativeKernel = {
  kernelName: UPSAMPLING3D_GRAD_KERNEL,
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy } = args.inputs;
    const { size } = args.attrs as { size: [number, number, number] };
    const dyv = f32(backend, dy);
    if (dy === undefined || dyv === undefined) return unsupported(UPSAMPLING3D_GRAD_KERNEL);
    const inShape = [dy.shape[0], dy.shape[1] / size[0], dy.shape[2] / size[1], dy.shape[3] / size[2], dy.shape[4]];
    const dx = ctx.alloc(inShape.reduce((p, v) => p * v, 1));
    ctx.addon.upsample3dNearestGrad(dyv, params(inShape, size), dx);
    return backend.makeTensorInfo(inShape, 'float32', dx);
  },
};
