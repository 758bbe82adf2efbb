/**
 * Native element-wise kernels for the float32 cases a CAE training step
 * spends its non-conv time in: Add/Sub/Multiply/SquaredDifference of equal
 * shapes, with a scalar, or with a trailing-axes operand such as a bias;
 * Elu, Sigmoid, Sqrt, Abs, Neg; EluGrad; Fill; Sum over leading or trailing
 * axes (bias gradients). (Square, RealDiv and Mean are in ops2d.ts.) Every
 * other case goes to the tfjs kernel registered before.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, type CpuBackendLike, type KernelArgs, type NativeContext } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

const size = (shape: number[]) => shape.reduce((p, v) => p * v, 1);

function stripOnes(shape: number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

function isSuffix(big: number[], small: number[]): boolean {
  const s = stripOnes(small);
  if (s.length > big.length) return false;
  return s.every((d, i) => d === big[big.length - s.length + i]);
}

/** How the addon's binary kernel broadcasts a with b, or undefined when it cannot. */
export function broadcastPlan(a: number[], b: number[]): { mode: number; inner: number; shape: number[] } | undefined {
  const sa = size(a);
  const sb = size(b);
  if (sa === 0 || sb === 0) return undefined;
  if (a.length === b.length && a.every((d, i) => d === b[i])) return { mode: 0, inner: 1, shape: a };
  if (sb === 1 && b.length <= a.length) return { mode: 1, inner: 1, shape: a };
  if (sa === 1 && a.length <= b.length) return { mode: 2, inner: 1, shape: b };
  if (b.length <= a.length && isSuffix(a, b)) return { mode: 3, inner: sb, shape: a };
  if (a.length <= b.length && isSuffix(b, a)) return { mode: 4, inner: sa, shape: b };
  return undefined;
}

/**
 * A float32 kernel of two broadcastable inputs `a`, `b` (see {@link broadcastPlan});
 * `run` fills `out` (n values). Other dtypes and broadcasts go to the tfjs kernel.
 */
export function broadcastBinaryKernel(
  kernelName: string,
  run: (ctx: NativeContext, a: Float32Array, b: Float32Array, out: Float32Array, n: number, mode: number, inner: number) => void,
): NativeKernel {
  return {
    kernelName,
    make: (ctx: NativeContext) => (args: KernelArgs) => {
      const backend = args.backend as CpuBackendLike;
      const { a, b } = args.inputs;
      const av = f32(backend, a);
      const bv = f32(backend, b);
      if (a === undefined || b === undefined || av === undefined || bv === undefined) return ctx.fallback(args);
      const plan = broadcastPlan(a.shape, b.shape);
      if (plan === undefined) return ctx.fallback(args);
      const n = size(plan.shape);
      const out = ctx.alloc(n);
      run(ctx, av, bv, out, n, plan.mode, plan.inner);
      return backend.makeTensorInfo(plan.shape, 'float32', out);
    },
  };
}

/**
 * A float32 kernel of one input `x` and an output of its shape; `run` fills `out`
 * (n values) and may read the kernel's attributes. Other dtypes go to the tfjs kernel.
 */
export function mapKernel(
  kernelName: string,
  run: (ctx: NativeContext, x: Float32Array, out: Float32Array, n: number, attrs: Record<string, unknown> | undefined) => void,
): NativeKernel {
  return {
    kernelName,
    make: (ctx: NativeContext) => (args: KernelArgs) => {
      const backend = args.backend as CpuBackendLike;
      const { x } = args.inputs;
      const xv = f32(backend, x);
      if (x === undefined || xv === undefined) return ctx.fallback(args);
      const out = ctx.alloc(xv.length);
      run(ctx, xv, out, xv.length, args.attrs);
      return backend.makeTensorInfo(x.shape, 'float32', out);
    },
  };
}

const binaryKernel = (kernelName: string, op: number): NativeKernel =>
  broadcastBinaryKernel(kernelName, (ctx, a, b, out, n, mode, inner) => ctx.addon.binary(op, a, b, out, n, mode, inner));

export const addKernel = binaryKernel('Add', 0);
export const subKernel = binaryKernel('Sub', 1);
export const multiplyKernel = binaryKernel('Multiply', 2);
export const squaredDifferenceKernel = binaryKernel('SquaredDifference', 4);

/** Op codes of the addon's `unary` (native/src/kernels.h UnOp). */
const UNARY = { Elu: 0, Sigmoid: 1, Sqrt: 3, Abs: 4, Neg: 5 } as const;

const unaryKernel = (kernelName: keyof typeof UNARY): NativeKernel => mapKernel(kernelName, (ctx, x, out, n) => ctx.addon.map(UNARY[kernelName], x, out, n));

export const eluKernel = unaryKernel('Elu');
export const sigmoidKernel = unaryKernel('Sigmoid');
export const sqrtKernel = unaryKernel('Sqrt');
export const absKernel = unaryKernel('Abs');
export const negKernel = unaryKernel('Neg');

/** Fill of float32 tensors (tf.ones / tf.fill, e.g. in Mean's gradient). */
export const fillKernel: NativeKernel = {
  kernelName: 'Fill',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { shape, value, dtype } = args.attrs as { shape: number[]; value: number | string; dtype?: string };
    if ((dtype ?? 'float32') !== 'float32' || typeof value !== 'number') return ctx.fallback(args);
    const n = size(shape);
    const out = ctx.alloc(n);
    ctx.addon.fill(out, n, value);
    return backend.makeTensorInfo(shape, 'float32', out);
  },
};

export const eluGradKernel: NativeKernel = {
  kernelName: 'EluGrad',
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy, y } = args.inputs;
    const dyv = f32(backend, dy);
    const yv = f32(backend, y);
    if (dy === undefined || dyv === undefined || yv === undefined || dyv.length !== yv.length) return ctx.fallback(args);
    const dx = ctx.alloc(dyv.length);
    ctx.addon.eluGrad(dyv, yv, dx, dyv.length);
    return backend.makeTensorInfo(dy.shape, 'float32', dx);
  },
};

function reduceKernel(kernelName: 'Sum'): NativeKernel {
  return {
    kernelName,
    make: (ctx) => (args: KernelArgs) => {
      const backend = args.backend as CpuBackendLike;
      const { x } = args.inputs;
      const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
      const xv = f32(backend, x);
      if (x === undefined || xv === undefined || x.shape.length === 0) return ctx.fallback(args);
      const rank = x.shape.length;
      const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
      if (axes.length === 0) return ctx.fallback(args);
      const leading = axes.every((v, i) => v === i);
      const trailing = axes.every((v, i) => v === rank - axes.length + i);
      if (!leading && !trailing) return ctx.fallback(args);
      const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
      const reduced = size(axes.map((i) => x.shape[i]));
      const kept = size(x.shape) / Math.max(reduced, 1);
      if (reduced === 0) return ctx.fallback(args);
      const out = ctx.alloc(kept);
      if (leading) ctx.addon.sumLeading(xv, reduced, kept, out);
      else ctx.addon.sumTrailing(xv, kept, reduced, out);
      return backend.makeTensorInfo(outShape, 'float32', out);
    },
  };
}

export const sumKernel = reduceKernel('Sum');
