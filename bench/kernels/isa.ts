// Child process: the native kernels' instruction-set paths side by side in
// one process. Every repetition runs each path in turn (e.g. avx2, avx512,
// avx2, ...), so that machine load hits them alike; medians per path. For each
// path: its measured FMA peak (GFLOP/s per thread-CPU-second), the CAE's conv
// layers (forward, dx, dw; wall and process CPU time) and the whole CAE train
// step. Prints one JSON line.
// Usage: tsx bench/kernels/isa.ts <a|b> <reps> <warmup> <paths, e.g. avx2,avx512> [layers|step|all]
// BENCH_LAYERS=enc1,dec4 limits the layers measured (default: all eight).
import * as tf from '@tensorflow/tfjs';
import { buildBenchCae, caeLoss, CAE_LAYERS, setUpBenchChild } from './cae.js';
import { median } from './timing.js';
import { loadAddon } from '../../src/backend/native/register.js';
import type { NativeAddon, SimdPath } from '../../src/backend/native/addon.js';

const [shapeKey, repsArg, warmArg, pathsArg, what = 'all'] = process.argv.slice(2);
const shape = await setUpBenchChild('native', shapeKey);
const reps = Number(repsArg);
const warmup = Number(warmArg);
const addon = loadAddon().addon as NativeAddon;
const supported = addon.simdPaths();
const paths = pathsArg.split(',').filter((p): p is SimdPath => supported.includes(p as SimdPath));
const auto = addon.setSimd('auto');

interface Sample { wall: number[]; cpu: number[] }
const samples = new Map<string, Sample>();
function timed(key: string, fn: () => void, record: boolean): void {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  if (!record) return;
  const s = samples.get(key) ?? { wall: [], cpu: [] };
  s.wall.push(wall);
  s.cpu.push((c.user + c.system) / 1000);
  samples.set(key, s);
}

const peak: Record<string, number> = {};
for (const p of paths) {
  addon.setSimd(p);
  peak[p] = addon.peakGflops(300).perThread;
}

if (what === 'all' || what === 'layers') {
  const only = process.env.BENCH_LAYERS?.split(',');
  for (const l of CAE_LAYERS.filter((c) => !only || only.includes(c.name))) {
    const dims = shape.size.map((s) => s / l.scale) as [number, number, number];
    // x and dy as outputs of a native kernel (its pool's 64-byte-aligned buffers), as in
    // the train step, where every convolution's input but the model's comes from one.
    const x = tf.tidy(() => tf.add(tf.randomNormal([shape.batch, ...dims, l.ci]), 0)) as tf.Tensor5D;
    const w = tf.randomNormal([3, 3, 3, l.ci, l.co], 0, 0.1) as tf.Tensor5D;
    const dy = tf.tidy(() => tf.add(tf.randomNormal([shape.batch, ...dims, l.co]), 0)) as tf.Tensor5D;
    const attrs = { strides: [1, 1, 1], pad: 'same' };
    const parts: [string, () => void][] = [
      ['fwd', () => tf.conv3d(x, w, 1, 'same').dispose()],
      ['dx', () => (tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor).dispose()],
      ['dw', () => (tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor).dispose()],
    ];
    for (let r = 0; r < warmup + reps; r++) {
      for (const p of paths) {
        addon.setSimd(p);
        for (const [part, fn] of parts) timed(`${p}/${l.name}.${part}`, fn, r >= warmup);
      }
    }
    tf.dispose([x, w, dy]);
  }
}

let loss = NaN;
if (what === 'all' || what === 'step') {
  const model = buildBenchCae(shape.size);
  const x = tf.randomUniform([shape.batch, ...shape.size, 1]);
  const opt = tf.train.adam(1e-3);
  const step = () => {
    const l = opt.minimize(() => caeLoss(model, x), true);
    loss = l ? l.dataSync()[0] : NaN;
    l?.dispose();
  };
  for (let r = 0; r < warmup + reps; r++) {
    for (const p of paths) {
      addon.setSimd(p);
      timed(`${p}/step`, step, r >= warmup);
    }
  }
}
addon.setSimd('auto');

const out: Record<string, number | string> = { auto, supported: supported.join(','), paths: paths.join(','), threads: addon.threads(), loss };
for (const p of paths) out[`${p}/peakPerThread`] = peak[p];
for (const [key, s] of samples) {
  out[`${key}.wall`] = median(s.wall);
  out[`${key}.cpu`] = median(s.cpu);
}
console.log(JSON.stringify(out));
