// Profiles the CAE forward pass and train step per tfjs kernel: wall time,
// calls, and the process RSS / tfjs bytes / V8 external memory after each
// step. Not part of `npm run bench`; a tool for finding non-conv time.
// Usage: tsx bench/kernels/profile.ts <native|tfjs> <a|b|s> [steps=3]
// CPU time (all threads) is shown beside wall time: on a loaded machine, run with
// TRANSMRI_THREADS=1 BENCH_THREADS=1 and compare CPU times.
// BENCH_BY_SHAPE=1 reports each kernel per input shapes (e.g. one line per conv layer).
//   shape s: 2×32³ (quick). BENCH_GC=1 with node --expose-gc collects after each step.
import * as tf from '@tensorflow/tfjs';
import { buildBenchCae, caeLoss, setUpBenchChild, SHAPES } from './cae.js';
import { nativeMemoryStats } from '../../src/backend/native/register.js';

const [mode, shapeKey, stepsArg] = process.argv.slice(2);
if (shapeKey === 's') SHAPES.push({ key: 's' as 'a', batch: 2, size: [32, 32, 32] });
const shape = await setUpBenchChild(mode, shapeKey);
const steps = Number(stepsArg ?? 3);

const stats = new Map<string, { ms: number; cpu: number; faults: number; calls: number; big: number }>();
let active = false;
const byShape = process.env.BENCH_BY_SHAPE === '1';
for (const k of tf.getKernelsForBackend('cpu')) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, 'cpu');
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!active) return inner(args);
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const f0 = process.resourceUsage().minorPageFault;
      const r = inner(args);
      const c1 = process.cpuUsage(c0);
      const faults = process.resourceUsage().minorPageFault - f0;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const key = byShape ? `${k.kernelName} ${Object.values(args.inputs).map((t) => (t as tf.TensorInfo).shape.join('x')).join(' ')}` : k.kernelName;
      const s = stats.get(key) ?? { ms: 0, cpu: 0, faults: 0, calls: 0, big: 0 };
      s.faults += faults;
      s.ms += ms;
      s.cpu += (c1.user + c1.system) / 1000;
      s.calls++;
      const outs = Array.isArray(r) ? r : [r];
      if (outs.some((o) => o.shape.reduce((p, v) => p * v, 1) >= 1 << 16)) s.big++;
      stats.set(key, s);
      return r;
    },
  });
}

const model = buildBenchCae(shape.size);
const x = tf.randomUniform([shape.batch, ...shape.size, 1]);
const opt = tf.train.adam(1e-3);
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => (b / 2 ** 20).toFixed(0);

function report(label: string, total: number) {
  const rows = [...stats.entries()].sort((p, q) => q[1].ms - p[1].ms);
  const sum = rows.reduce((s, [, v]) => s + v.ms, 0);
  console.log(`\n${label}: ${total.toFixed(1)} ms per call, kernels ${sum.toFixed(1)} ms, outside kernels ${(total - sum).toFixed(1)} ms`);
  for (const [name, v] of rows) console.log(`  ${name.padEnd(byShape ? 64 : 28)} ${v.ms.toFixed(1).padStart(8)} ms (cpu ${v.cpu.toFixed(1).padStart(7)} ms, ${String(v.faults).padStart(6)} page faults) ${String(v.calls).padStart(5)} calls (${v.big} with outputs >= 64 k elements)`);
  stats.clear();
}

function run(label: string, fn: () => void) {
  fn(); // warm-up
  let best = Infinity;
  let bestStats = new Map<string, { ms: number; cpu: number; faults: number; calls: number; big: number }>();
  for (let i = 0; i < steps; i++) {
    stats.clear();
    active = true;
    const t0 = process.hrtime.bigint();
    fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    active = false;
    if (process.env.BENCH_GC === '1' && gc) gc();
    const m = process.memoryUsage();
    const pool = nativeMemoryStats()?.pool;
    const poolInfo = pool ? `; pool ${pool.allocs} allocs (${pool.reused} reused), live ${mb(pool.liveBytes)} MB, free ${mb(pool.freeBytes)} MB` : '';
    console.log(`${label} ${i}: ${ms.toFixed(1)} ms${poolInfo}; rss ${mb(m.rss)} MB, peak ${mb(process.resourceUsage().maxRSS * 1024)} MB, external ${mb(m.external)} MB, arrayBuffers ${mb(m.arrayBuffers)} MB, tf ${mb(tf.memory().numBytes)} MB in ${tf.memory().numTensors} tensors`);
    if (ms < best) { best = ms; bestStats = new Map(stats); }
  }
  stats.clear();
  for (const [k, v] of bestStats) stats.set(k, v);
  report(`${label} (best of ${steps})`, best);
}

run('forward', () => {
  const ys = model.predict(x) as tf.Tensor[];
  ys[0].dataSync();
  tf.dispose(ys);
});
run('train step', () => {
  const loss = opt.minimize(() => caeLoss(model, x), true);
  loss?.dataSync();
  loss?.dispose();
});
