// Child process: times each CAE conv layer (forward, input grad, filter grad)
// with the native kernels or tfjs' pure-JS ones. Prints one JSON line.
// Usage: tsx bench/kernels/layers.ts <native|tfjs> <a|b> <reps> <warmup> [layer,...] [fwd,dx,dw]
import * as tf from '@tensorflow/tfjs';
import { CAE_LAYERS, setUpBenchChild } from './cae.js';
import { timeMs } from './timing.js';
import { loadAddon } from '../../src/backend/native/register.js';
import type { NativeAddon } from '../../src/backend/native/addon.js';

const [mode, shapeKey, repsArg, warmArg, only, parts] = process.argv.slice(2);
const shape = await setUpBenchChild(mode, shapeKey);
const reps = Number(repsArg);
const warmup = Number(warmArg);
const want = only && only !== 'all' ? only.split(',') : CAE_LAYERS.map((l) => l.name);
const which = parts ? parts.split(',') : ['fwd', 'dx', 'dw'];
const out: Record<string, number | string> = {};
if (mode === 'native') {
  // The instruction-set path in use and its measured FMA peak per thread (GFLOP/s).
  const addon = loadAddon().addon as NativeAddon;
  out.simd = addon.simd();
  out.peakPerThread = addon.peakGflops(300).perThread;
}
for (const l of CAE_LAYERS.filter((c) => want.includes(c.name))) {
  const dims = shape.size.map((s) => s / l.scale) as [number, number, number];
  const x = tf.randomNormal([shape.batch, ...dims, l.ci]) as tf.Tensor5D;
  const w = tf.randomNormal([3, 3, 3, l.ci, l.co], 0, 0.1) as tf.Tensor5D;
  const dy = tf.randomNormal([shape.batch, ...dims, l.co]) as tf.Tensor5D;
  const attrs = { strides: [1, 1, 1], pad: 'same' };
  if (which.includes('fwd')) out[`${l.name}.fwd`] = timeMs(() => tf.conv3d(x, w, 1, 'same').dispose(), reps, warmup);
  if (which.includes('dx')) {
    out[`${l.name}.dx`] = timeMs(() => (tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor).dispose(), reps, warmup);
  }
  if (which.includes('dw')) {
    out[`${l.name}.dw`] = timeMs(() => (tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor).dispose(), reps, warmup);
  }
  tf.dispose([x, w, dy]);
}
console.log(JSON.stringify(out));
