/**
 * The native addon's interface and the glue shared by the kernel configs:
 * reading a tensor's Float32Array on the cpu backend, building the
 * geometry vector the addon expects, and making output tensors.
 */
import type * as tf from '@tensorflow/tfjs';

/** Functions exported by native/src/addon.cc. Geometry vectors are Int32Array. */
export interface NativeAddon {
  conv3d(x: Float32Array, w: Float32Array, geom: Int32Array, out: Float32Array, bias: Float32Array | null, act: number): void;
  conv3dBackpropInput(dy: Float32Array, w: Float32Array, geom: Int32Array, dx: Float32Array): void;
  conv3dBackpropFilter(x: Float32Array, dy: Float32Array, geom: Int32Array, dw: Float32Array): void;
  maxPool3d(x: Float32Array, geom: Int32Array, out: Float32Array): void;
  maxPool3dGrad(dy: Float32Array, x: Float32Array, geom: Int32Array, dx: Float32Array): void;
  upsample3dNearest(x: Float32Array, p: Int32Array, out: Float32Array): void;
  upsample3dNearestGrad(dy: Float32Array, p: Int32Array, dx: Float32Array): void;
  biasAct(y: Float32Array, rows: number, channels: number, bias: Float32Array | null, act: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, n: number, mode: number, inner: number): void;
  elu(x: Float32Array, out: Float32Array, n: number): void;
  eluGrad(dy: Float32Array, y: Float32Array, dx: Float32Array, n: number): void;
  /** out = op(x); op 0 elu, 1 sigmoid, 2 square, 3 sqrt, 4 abs, 5 neg (native/src/kernels.h UnOp). */
  map(op: number, x: Float32Array, out: Float32Array, n: number): void;
  fill(out: Float32Array, n: number, value: number): void;
  /** Gradient through an activation (ACT code) from its output y: dx = dy · act'(y). */
  actGrad(act: number, dy: Float32Array, y: Float32Array, dx: Float32Array, n: number): void;
  /**
   * actGrad over `rows` rows of `channels` that also writes the bias gradient dbias[c] = Σ dx[., c]
   * (summed in double, independent of the thread count). For act none y and dx may be null: dbias = Σ dy.
   */
  actGradBias(act: number, dy: Float32Array, y: Float32Array | null, dx: Float32Array | null, rows: number, channels: number, dbias: Float32Array): void;
  /**
   * One step of tfjs' Adam, bit-identical to its op sequence, into xOut, mOut, vOut;
   * p = [beta1, 1 - beta1, beta2, 1 - beta2, 1 - accBeta1, 1 - accBeta2, epsilon, -lr].
   */
  adamUpdate(x: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, p: Float32Array,
    xOut: Float32Array, mOut: Float32Array, vOut: Float32Array, n: number): void;
  sumLeading(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  sumTrailing(x: Float32Array, rows: number, cols: number, out: Float32Array): void;
  /** Stride-1 2D convolutions with at most 8 output channels (conv2d_small.cc); false when the geometry or CPU is not handled. */
  conv2dSmall(x: Float32Array, w: Float32Array, geom: Int32Array, out: Float32Array, bias: Float32Array | null, act: number): boolean;
  conv2dSmallDx(dy: Float32Array, w: Float32Array, geom: Int32Array, dx: Float32Array): boolean;
  conv2dSmallDw(x: Float32Array, dy: Float32Array, geom: Int32Array, dw: Float32Array): boolean;
  /** C = op(A) x op(B) (+ bias) (relu); p = [batchA, batchB, M, N, K, transposeA, transposeB, act] (matmul.cc). */
  matMul(a: Float32Array, b: Float32Array, out: Float32Array, p: Int32Array, bias: Float32Array | null): void;
  /** 2D max pool; geometry [N, H, W, C, KH, KW, SH, SW, OH, OW, padT, padL] (ops2d.cc). */
  maxPool2d(x: Float32Array, geom: Int32Array, out: Float32Array): void;
  maxPool2dGrad(dy: Float32Array, x: Float32Array, geom: Int32Array, dx: Float32Array): void;
  /** op 0 relu, 1 step (alpha), 2 square. */
  unary(op: number, x: Float32Array, out: Float32Array, n: number, alpha: number): void;
  reluGrad(dy: Float32Array, x: Float32Array, out: Float32Array, n: number): void;
  divide(a: Float32Array, b: Float32Array, out: Float32Array, n: number, mode: number, inner: number): void;
  /** Column means of x as [rows, channels] (ops2d.cc). */
  meanLeading(x: Float32Array, rows: number, channels: number, out: Float32Array): void;
  /** Per-channel mean and biased variance of x as [rows, channels] (ops2d.cc). */
  moments(x: Float32Array, rows: number, channels: number, mean: Float32Array, variance: Float32Array): void;
  /** Gradient of batch norm whose mean and variance are x's own batch statistics: dx, dScale, dOffset. */
  batchNormTrainGrad(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, eps: number,
    rows: number, channels: number, dx: Float32Array, dScale: Float32Array, dOffset: Float32Array): void;
  tile(x: Float32Array, shape: Int32Array, reps: Int32Array, out: Float32Array): void;
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, offset: Float32Array | null,
    eps: number, rows: number, channels: number, y: Float32Array): void;
  batchNormGrad(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, eps: number,
    rows: number, channels: number, dx: Float32Array, dMean: Float32Array, dVar: Float32Array, dScale: Float32Array, dOffset: Float32Array): void;
  /** A Float32Array of n floats (not zeroed) from the addon's pool. */
  alloc(n: number): Float32Array;
  /** Detaches an array from `alloc` and pools its memory; false (no effect) for any other array. */
  release(arr: Float32Array): boolean;
  /** Reports a pooled array that will only be garbage-collected (never released) to V8 as external memory. */
  toCollector(arr: Float32Array): boolean;
  memoryStats(): { liveBytes: number; liveArrays: number; freeBytes: number; limit: number; allocs: number; reused: number; released: number };
  /** Bytes the pool's free list may hold; returns the limit in effect. */
  setPoolLimit(bytes: number): number;
  tuneMalloc(): boolean;
  setThreads(n: number): number;
  threads(): number;
  /** The instruction-set path in use. */
  simd(): SimdPath;
  /** Selects a path ('auto': the best this CPU runs); returns the path in use. Throws for a path the CPU cannot run. */
  setSimd(path: SimdOption): SimdPath;
  /** The paths this CPU can run, from the baseline up. */
  simdPaths(): SimdPath[];
  /** Measured arithmetic peak of the path in use: every thread runs an FMA loop for about `ms` of CPU time (GFLOP/s per CPU-second). */
  peakGflops(ms?: number): { total: number; perThread: number; threads: number };
}

/** Instruction-set paths of the native kernels: baseline x86-64, AVX2 + FMA, AVX-512 (F/BW/DQ/VL). */
export type SimdPath = 'sse2' | 'avx2' | 'avx512';
/** A path to use, or 'auto' for the best one the CPU runs. */
export type SimdOption = SimdPath | 'auto';

/** Activation codes of the addon's fused epilogue. */
export const ACT = { none: 0, relu: 1, elu: 2, sigmoid: 3 } as const;

/** The few members of tfjs' MathBackendCPU the kernels use. */
export interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** A kernel's arguments as tfjs passes them. */
export interface KernelArgs {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

/** The float32 values of a tensor on the cpu backend, or undefined when not a plain Float32Array. */
export function f32(backend: CpuBackendLike, t: tf.TensorInfo | undefined): Float32Array | undefined {
  if (t === undefined || t.dtype !== 'float32') return undefined;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : undefined;
}

/** Geometry of a 3D convolution or pooling as the addon reads it. */
export interface Geom {
  N: number; D: number; H: number; W: number; Ci: number; Co: number;
  KD: number; KH: number; KW: number; SD: number; SH: number; SW: number;
  OD: number; OH: number; OW: number; padF: number; padT: number; padL: number;
}

/** Packs a geometry for the addon. */
export function packGeom(g: Geom): Int32Array {
  return Int32Array.from([g.N, g.D, g.H, g.W, g.Ci, g.Co, g.KD, g.KH, g.KW, g.SD, g.SH, g.SW, g.OD, g.OH, g.OW, g.padF, g.padT, g.padL]);
}

/** The parts of tfjs' Conv3DInfo / Conv2DInfo the kernels need. */
interface ConvInfoLike {
  batchSize: number; inHeight: number; inWidth: number; inChannels: number; outChannels: number;
  outHeight: number; outWidth: number; strideHeight: number; strideWidth: number;
  filterHeight: number; filterWidth: number; dilationHeight: number; dilationWidth: number;
  inDepth?: number; outDepth?: number; strideDepth?: number; filterDepth?: number; dilationDepth?: number;
  dataFormat: string;
  padInfo: { top: number; left: number; front?: number; bottom: number; right: number; back?: number };
}

/**
 * Converts a tfjs conv/pool info (3D, or 2D as depth 1) into the addon's
 * geometry, or undefined when the configuration is not supported natively
 * (channels-first, dilation > 1, pads as large as the filter).
 */
export function geomFromInfo(info: ConvInfoLike): Geom | undefined {
  if (info.dataFormat !== 'channelsLast') return undefined;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || (info.dilationDepth ?? 1) !== 1) return undefined;
  const g: Geom = {
    N: info.batchSize, D: info.inDepth ?? 1, H: info.inHeight, W: info.inWidth, Ci: info.inChannels,
    Co: info.outChannels, KD: info.filterDepth ?? 1, KH: info.filterHeight, KW: info.filterWidth,
    SD: info.strideDepth ?? 1, SH: info.strideHeight, SW: info.strideWidth,
    OD: info.outDepth ?? 1, OH: info.outHeight, OW: info.outWidth,
    padF: info.padInfo.front ?? 0, padT: info.padInfo.top, padL: info.padInfo.left,
  };
  if (g.padF >= g.KD || g.padT >= g.KH || g.padL >= g.KW) return undefined;
  if (g.padF < 0 || g.padT < 0 || g.padL < 0) return undefined;
  if ([g.N, g.D, g.H, g.W, g.Ci, g.Co, g.OD, g.OH, g.OW].some((v) => v <= 0)) return undefined;
  return g;
}

/** Context a kernel config is built with. */
export interface NativeContext {
  addon: NativeAddon;
  /** The tfjs kernel that was registered before ours (used for unsupported configurations). */
  fallback: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
  /** Allocates an output buffer of n floats (every element is written by the kernel). */
  alloc: (n: number) => Float32Array;
}
