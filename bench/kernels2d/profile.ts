/**
 * Per-kernel profile of one 2D train step (edge student and BN teacher, batch 16, 128×128×3):
 * every cpu kernel is wrapped with a timer. Times are CPU time (user + system) of the process, which
 * on a loaded machine is steadier than wall time; run with TRANSMRI_THREADS=1 so that it is the
 * kernel's own work. Diagnostic tool, not a benchmark.
 *
 *   npx tsx bench/kernels2d/profile.ts [edge|teacher] [steps]
 */
import * as tf from '@tensorflow/tfjs';
import { edgeCnn, initBackend, sliceCnn } from '../../src/index.js';

const which = process.argv[2] ?? 'edge';
const steps = Number(process.argv[3] ?? 5);

async function main(): Promise<void> {
  await initBackend();
  // Per kernel: time and calls in the current step, and the minimum per-step time over steps.
  const times = new Map<string, { ms: number; calls: number; min: number }>();
  let on = false;
  for (const k of tf.getKernelsForBackend('cpu')) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({ ...k, kernelFunc: (args) => {
      if (!on) return f(args);
      const c0 = process.cpuUsage();
      const r = f(args);
      const c = process.cpuUsage(c0);
      const e = times.get(k.kernelName) ?? { ms: 0, calls: 0, min: Infinity };
      e.ms += (c.user + c.system) / 1000;
      e.calls++;
      times.set(k.kernelName, e);
      return r;
    } });
  }
  const student = which === 'edge' ? edgeCnn({ inputShape: [128, 128, 3] }, 4) : sliceCnn({ inputShape: [128, 128, 3], widths: [32, 64, 128, 192] }, 4);
  const model = student.classifier;
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([16, 128, 128, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
  const step = (): number => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    opt.applyGradients(grads as tf.NamedTensorMap & Record<string, tf.Variable>);
    const v = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return v;
  };
  for (let i = 0; i < 2; i++) step();
  const wall: number[] = [];
  on = true;
  for (let i = 0; i < steps; i++) {
    for (const e of times.values()) { e.ms = 0; e.calls = 0; }
    const c0 = process.cpuUsage();
    step();
    const c = process.cpuUsage(c0);
    wall.push((c.user + c.system) / 1000);
    for (const e of times.values()) e.min = Math.min(e.min, e.ms);
  }
  on = false;
  const total = [...times.values()].reduce((a, b) => a + b.min, 0);
  console.log(`${which}: step CPU min ${Math.min(...wall).toFixed(1)} ms, median ${wall.sort((a, b) => a - b)[wall.length >> 1].toFixed(1)} ms; sum of per-kernel minima ${total.toFixed(1)} ms`);
  for (const [name, t] of [...times].sort((a, b) => b[1].min - a[1].min).slice(0, 30)) {
    console.log(`${name.padEnd(28)} ${t.min.toFixed(2).padStart(9)} ms  ${String(t.calls).padStart(4)} calls`);
  }
}
void main();
