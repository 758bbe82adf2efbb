/**
 * Replacement MaxPool3D and MaxPool3DGrad kernels for tfjs' wasm backend. In
 * @tensorflow/tfjs-backend-wasm 4.22.0 the compiled kernels start each window's maximum at FLT_MIN (the
 * smallest positive float), not −∞: a window whose values are all negative gives 1.2e-38 (and its
 * gradient goes nowhere, or to the wrong voxel), so a 3D CNN
 * whose pooled activations can be negative (the CAE encoder's convolutions have no ReLU before the
 * pool) predicts other probabilities on wasm than on cpu/webgl. These JS kernels compute the pool as
 * tfjs' cpu backend does (the maximum, the last one among ties for the gradient). Channels-last
 * (NDHWC) only, as tfjs' own kernels.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackendLike {
  readSync(dataId: tf.DataId): unknown;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
}

type Pool3DInfo = ReturnType<typeof tf.backend_util.computePool3DInfo>;

interface PoolAttrs {
  filterSize: [number, number, number] | number;
  strides: [number, number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * For each output element (NDHWC order): the flat input index of its window's maximum, the last
 * among ties (as tfjs' cpu backend's positions), or −1 for a window with no input element.
 */
export function maxPool3dArgmax(x: ArrayLike<number>, info: Pool3DInfo): Int32Array {
  const { batchSize, inDepth: D, inHeight: H, inWidth: W, inChannels: C, outDepth, outHeight, outWidth } = info;
  const out = new Int32Array(batchSize * outDepth * outHeight * outWidth * C);
  const first = (corner: number, dilation: number) => {
    let v = corner;
    while (v < 0) v += dilation;
    return v;
  };
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let od = 0; od < outDepth; od++) {
      const d0 = od * info.strideDepth - info.padInfo.front;
      const dEnd = Math.min(D, d0 + info.effectiveFilterDepth);
      for (let oh = 0; oh < outHeight; oh++) {
        const h0 = oh * info.strideHeight - info.padInfo.top;
        const hEnd = Math.min(H, h0 + info.effectiveFilterHeight);
        for (let ow = 0; ow < outWidth; ow++) {
          const w0 = ow * info.strideWidth - info.padInfo.left;
          const wEnd = Math.min(W, w0 + info.effectiveFilterWidth);
          for (let c = 0; c < C; c++) {
            let best = Number.NEGATIVE_INFINITY;
            let at = -1;
            for (let d = first(d0, info.dilationDepth); d < dEnd; d += info.dilationDepth) {
              for (let h = first(h0, info.dilationHeight); h < hEnd; h += info.dilationHeight) {
                for (let w = first(w0, info.dilationWidth); w < wEnd; w += info.dilationWidth) {
                  const i = (((b * D + d) * H + h) * W + w) * C + c;
                  if (x[i] >= best) {
                    best = x[i];
                    at = i;
                  }
                }
              }
            }
            out[o++] = at;
          }
        }
      }
    }
  }
  return out;
}

function poolInfo(shape: number[], attrs: PoolAttrs): Pool3DInfo {
  return tf.backend_util.computePool3DInfo(shape as [number, number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

const maxPool3D: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as tf.TensorInfo;
  const wasm = backend as WasmBackendLike;
  const info = poolInfo(x.shape, attrs as unknown as PoolAttrs);
  const values = wasm.readSync(x.dataId) as Float32Array;
  const argmax = maxPool3dArgmax(values, info);
  const out = new Float32Array(argmax.length);
  for (let o = 0; o < argmax.length; o++) out[o] = argmax[o] >= 0 ? values[argmax[o]] : Number.NEGATIVE_INFINITY;
  return wasm.makeOutput(info.outShape, x.dtype, undefined, out);
};

const maxPool3DGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const wasm = backend as WasmBackendLike;
  const info = poolInfo(input.shape, attrs as unknown as PoolAttrs);
  const argmax = maxPool3dArgmax(wasm.readSync(input.dataId) as Float32Array, info);
  const dyValues = wasm.readSync(dy.dataId) as Float32Array;
  const dx = new Float32Array(input.shape.reduce((a, b) => a * b, 1));
  for (let o = 0; o < argmax.length; o++) if (argmax[o] >= 0) dx[argmax[o]] += dyValues[o];
  return wasm.makeOutput(input.shape, 'float32', undefined, dx);
};

let patched = false;

/** Replaces the wasm backend's MaxPool3D and MaxPool3DGrad kernels with the ones above (once; before or after the backend starts). */
export function patchWasmMaxPool3D(): void {
  if (patched) return;
  for (const [kernelName, kernelFunc] of [['MaxPool3D', maxPool3D], ['MaxPool3DGrad', maxPool3DGrad]] as const) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
  patched = true;
}
