/**
 * Conv3D + bias + activation as one native kernel with one gradient.
 *
 * tfjs' Conv3D layer runs conv3d, then an Add of the bias, then the
 * activation: three passes over every output, and the tape keeps the conv
 * output alive until the backward pass. While the native kernels are active,
 * {@link patchConv3DLayers} makes every channels-last `Conv3D` layer with a
 * linear, ReLU, ELU or sigmoid activation call {@link conv3dBiasAct}
 * instead: the bias and activation are applied in the convolution's epilogue,
 * and the gradient is act'(y)·dy (one native pass from the saved output) into
 * the two conv gradient kernels, with the bias gradient summed in that same pass; the tape keeps x and y only. Weights, configs and
 * serialisation are untouched; other layers and configurations keep tfjs' path.
 */
import * as tf from '@tensorflow/tfjs';
import { ACT, f32, geomFromInfo, packGeom, type CpuBackendLike, type KernelArgs } from './addon.js';
import type { NativeKernel } from './kernel-config.js';

export const CONV3D_BIAS_ACT = 'TransmriConv3DBiasAct';
export const ACT_GRAD = 'TransmriActGrad';

/** Activations the fused kernel applies. */
export type FusedActivation = 'linear' | 'relu' | 'elu' | 'sigmoid';
const CODE: Record<FusedActivation, number> = { linear: ACT.none, relu: ACT.relu, elu: ACT.elu, sigmoid: ACT.sigmoid };

type Triple = [number, number, number];
interface FusedAttrs { strides: Triple; pad: 'same' | 'valid'; act: number }

function convInfo(x: number[], w: number[], strides: Triple, pad: 'same' | 'valid') {
  return tf.backend_util.computeConv3DInfo(x as [number, number, number, number, number], w as [number, number, number, number, number], strides, 1, pad);
}

/** Kernel `TransmriConv3DBiasAct`: inputs x, filter, optional bias; attrs strides, pad, act (ACT code). */
export const conv3dBiasActKernel: NativeKernel = {
  kernelName: CONV3D_BIAS_ACT,
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { x, filter, bias } = args.inputs;
    const { strides, pad, act } = args.attrs as unknown as FusedAttrs;
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    const bv = bias === undefined ? null : f32(backend, bias);
    if (x === undefined || filter === undefined || xv === undefined || wv === undefined || bv === undefined) {
      throw new Error(`${CONV3D_BIAS_ACT}: inputs must be float32 tensors on the cpu backend`);
    }
    const info = convInfo(x.shape, filter.shape, strides, pad);
    const g = geomFromInfo(info);
    if (g === undefined || (bv !== null && bv.length !== g.Co)) throw new Error(`${CONV3D_BIAS_ACT}: unsupported configuration`);
    const out = ctx.alloc(g.N * g.OD * g.OH * g.OW * g.Co);
    ctx.addon.conv3d(xv, wv, packGeom(g), out, bv, act);
    return backend.makeTensorInfo(info.outShape, 'float32', out);
  },
};

/**
 * Kernel `TransmriActGrad`: dx = dy · act'(y) from the activation's output y; attr act (ACT code).
 * With attr `bias` true (and an activation) it returns [dx, dbias], dbias[c] = Σ dx[..., c] over
 * every axis but the last (the conv's bias gradient), summed in the same pass.
 */
export const actGradKernel: NativeKernel = {
  kernelName: ACT_GRAD,
  make: (ctx) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackendLike;
    const { dy, y } = args.inputs;
    const { act, bias } = args.attrs as { act: number; bias?: boolean };
    const dyv = f32(backend, dy);
    const yv = f32(backend, y);
    if (dy === undefined || dyv === undefined || yv === undefined || dyv.length !== yv.length) {
      throw new Error(`${ACT_GRAD}: dy and y must be float32 tensors of the same size on the cpu backend`);
    }
    const dx = ctx.alloc(dyv.length);
    const C = dy.shape[dy.shape.length - 1];
    if (bias !== true || act === ACT.none || dy.shape.length < 2 || C === 0) {
      ctx.addon.actGrad(act, dyv, yv, dx, dyv.length);
      return backend.makeTensorInfo(dy.shape, 'float32', dx);
    }
    const db = ctx.alloc(C);
    ctx.addon.actGradBias(act, dyv, yv, dx, dyv.length / C, C, db);
    return [backend.makeTensorInfo(dy.shape, 'float32', dx), backend.makeTensorInfo([C], 'float32', db)];
  },
};

/** True when the fused kernels are registered and `tf.conv3d` would run on the cpu backend with these tensors. */
export function fusedConv3dAvailable(x: tf.Tensor, w: tf.Tensor, strides: Triple, pad: 'same' | 'valid', dilations: Triple): boolean {
  if (tf.getBackend() !== 'cpu' || tf.getKernel(CONV3D_BIAS_ACT, 'cpu') === undefined || tf.getKernel(ACT_GRAD, 'cpu') === undefined) return false;
  if (x.rank !== 5 || w.rank !== 5 || x.dtype !== 'float32' || w.dtype !== 'float32' || dilations.some((d) => d !== 1)) return false;
  if (x.shape[4] !== w.shape[3]) return false;
  return geomFromInfo(convInfo(x.shape, w.shape, strides, pad)) !== undefined;
}

/**
 * act(conv3d(x, w) + bias) (NDHWC, dilation 1) with the fused kernel, whose
 * gradient is {@link conv3dBiasActGradConfig}. Requires {@link fusedConv3dAvailable}.
 * Returns a new tensor owned by the caller.
 */
export function conv3dBiasAct(x: tf.Tensor5D, w: tf.Tensor5D, bias: tf.Tensor1D | null, strides: Triple, pad: 'same' | 'valid',
  activation: FusedActivation): tf.Tensor5D {
  const inputs: tf.NamedTensorMap = bias === null ? { x, filter: w } : { x, filter: w, bias };
  return tf.engine().runKernel(CONV3D_BIAS_ACT, inputs, { strides, pad, act: CODE[activation] } as unknown as tf.NamedAttrMap) as tf.Tensor5D;
}

/**
 * Gradient of `TransmriConv3DBiasAct`: dz = act'(y)·dy from the saved output
 * and the bias gradient Σ dz per channel (one native pass; a linear layer's
 * dz is dy and its bias gradient the native Sum), then the conv input and
 * filter gradients. tfjs calls only the functions of inputs that need a gradient (not x of
 * a model's first layer).
 */
export const conv3dBiasActGradConfig: tf.GradConfig = {
  kernelName: CONV3D_BIAS_ACT,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved;
    const { strides, pad, act } = attrs as unknown as FusedAttrs;
    const d = dy as tf.Tensor;
    // With an activation, one native pass makes dz and the bias gradient (unused ones are disposed by the tape's tidy).
    const [dz, db] = act === ACT.none ? [d, undefined] : (tf.engine().runKernel(ACT_GRAD, { dy: d, y }, { act, bias: true }) as tf.Tensor[]);
    const conv = { strides, pad, dilations: 1 };
    return {
      x: () => tf.engine().runKernel('Conv3DBackpropInputV2', { dy: dz, filter }, { ...conv, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy: dz }, { ...conv, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => db ?? tf.sum(dz, [0, 1, 2, 3]),
    };
  },
};

/** The members of tfjs-layers' Conv3D the patched `call` reads. */
interface Conv3DLayerLike {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string } | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  rank: number;
}
type CallFn = (this: Conv3DLayerLike, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

function asTriple(v: number | number[]): Triple {
  return (Array.isArray(v) ? (v.length === 1 ? [v[0], v[0], v[0]] : v) : [v, v, v]) as Triple;
}

/** Undo information of {@link patchConv3DLayers}. */
export interface Conv3DPatch { restore(): void }

/**
 * Makes tfjs-layers' Conv3D layers use {@link conv3dBiasAct} when it applies
 * (see the file comment); returns how to undo it.
 */
export function patchConv3DLayers(): Conv3DPatch {
  const proto = Object.getPrototypeOf(tf.layers.conv3d({ filters: 1, kernelSize: 1 })) as Record<string, unknown>;
  const hadOwn = Object.prototype.hasOwnProperty.call(proto, 'call');
  const ownBefore = proto.call;
  const original = proto.call as CallFn;
  const call: CallFn = function (this: Conv3DLayerLike, inputs, kwargs) {
    const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    const name = this.activation?.getClassName() ?? 'linear';
    const strides = asTriple(this.strides);
    const pad = this.padding;
    if (Array.isArray(x) || this.rank !== 3 || this.dataFormat !== 'channelsLast' || !(name in CODE) || (pad !== 'same' && pad !== 'valid')) {
      return original.call(this, inputs, kwargs);
    }
    const w = this.kernel.read();
    if (!fusedConv3dAvailable(x, w, strides, pad, asTriple(this.dilationRate))) return original.call(this, inputs, kwargs);
    const b = this.bias?.read() ?? null;
    if (b !== null && (b.dtype !== 'float32' || b.rank !== 1 || b.shape[0] !== w.shape[4])) return original.call(this, inputs, kwargs);
    return tf.tidy(() => conv3dBiasAct(x as tf.Tensor5D, w as tf.Tensor5D, b as tf.Tensor1D | null, strides, pad, name as FusedActivation));
  };
  proto.call = call;
  return {
    restore() {
      if (hadOwn) proto.call = ownBefore;
      else delete proto.call;
    },
  };
}
