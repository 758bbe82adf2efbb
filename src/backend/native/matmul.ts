/**
 * Native BatchMatMul and _FusedMatMul (bias over the last axis, linear or
 * ReLU) for the tfjs cpu backend: the dense layers of 2D CNNs, whose
 * products tfjs computes in JS. Batches must be equal or 1; other broadcasts,
 * other activations and non-float32 inputs go to the tfjs kernels.
 */
import { ACT, f32, type CpuBackendLike, type KernelArgs, type NativeContext } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

const size = (shape: number[]) => shape.reduce((p, v) => p * v, 1);

/** Shapes of op(a) x op(b), or undefined when not handled natively. */
export function matMulPlan(a: number[], b: number[], ta: boolean, tb: boolean): { p: number[]; outShape: number[] } | undefined {
  if (a.length < 2 || b.length < 2 || a.length !== b.length) return undefined;
  const r = a.length;
  const M = ta ? a[r - 1] : a[r - 2];
  const K = ta ? a[r - 2] : a[r - 1];
  const K2 = tb ? b[r - 1] : b[r - 2];
  const N = tb ? b[r - 2] : b[r - 1];
  if (K !== K2 || M === 0 || N === 0 || K === 0) return undefined;
  const oa = a.slice(0, -2);
  const ob = b.slice(0, -2);
  const batchA = size(oa);
  const batchB = size(ob);
  const outer = oa.map((d, i) => Math.max(d, ob[i]));
  if (!(batchA === 1 || batchB === 1 || oa.every((d, i) => d === ob[i]))) return undefined;
  if (oa.some((d, i) => d !== ob[i] && d !== 1 && ob[i] !== 1)) return undefined;
  return { p: [batchA, batchB, M, N, K, ta ? 1 : 0, tb ? 1 : 0], outShape: [...outer, M, N] };
}

function run(ctx: NativeContext, args: KernelArgs, fused: boolean) {
  const backend = args.backend as CpuBackendLike;
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  const av = f32(backend, a);
  const bv = f32(backend, b);
  if (a === undefined || b === undefined || av === undefined || bv === undefined || preluActivationWeights !== undefined) return ctx.fallback(args);
  const act = !fused || attrs.activation === undefined || attrs.activation === 'linear' ? ACT.none : attrs.activation === 'relu' ? ACT.relu : undefined;
  if (act === undefined) return ctx.fallback(args);
  const plan = matMulPlan(a.shape, b.shape, attrs.transposeA === true, attrs.transposeB === true);
  if (plan === undefined) return ctx.fallback(args);
  const N = plan.p[3];
  let bv2: Float32Array | null = null;
  if (fused && bias !== undefined) {
    // A bias over the last axis only ([N], [1, N], ...).
    if (size(bias.shape) !== N || bias.shape[bias.shape.length - 1] !== N) return ctx.fallback(args);
    bv2 = f32(backend, bias) ?? null;
    if (bv2 === null) return ctx.fallback(args);
  }
  const out = ctx.alloc(size(plan.outShape));
  ctx.addon.matMul(av, bv, out, Int32Array.from([...plan.p, act]), bv2);
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

export const batchMatMulKernel: NativeKernel = { kernelName: 'BatchMatMul', make: (ctx) => (args: KernelArgs) => run(ctx, args, false) };
export const fusedMatMulKernel: NativeKernel = { kernelName: '_FusedMatMul', make: (ctx) => (args: KernelArgs) => run(ctx, args, true) };
