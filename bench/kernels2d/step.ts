// Child of bench/kernels2d/run.ts: one 2D train step (forward, cross-entropy, backward, Adam) of the
// edge student or the BN teacher, batch 16, 128x128x3, on transmri's native kernels.
// Usage: tsx step.ts <edge|teacher> <reps> <warmup>; prints one JSON line (ms).
import * as tf from '@tensorflow/tfjs';
import { edgeCnn, initBackend, sliceCnn } from '../../src/index.js';

const [which, repsArg, warmupArg] = process.argv.slice(2);
await initBackend({ log: () => {} });
const model = which === 'edge' ? edgeCnn({ inputShape: [128, 128, 3] }, 4).classifier : sliceCnn({ inputShape: [128, 128, 3], widths: [32, 64, 128, 192] }, 4).classifier;
const opt = tf.train.adam(1e-3);
const x = tf.randomNormal([16, 128, 128, 3]);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 4), 'int32'), 4);
const step = () => {
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  opt.applyGradients(grads as Record<string, tf.Variable>);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
for (let i = 0; i < Number(warmupArg); i++) step();
const t: number[] = [];
for (let i = 0; i < Number(repsArg); i++) {
  const t0 = performance.now();
  step();
  t.push(performance.now() - t0);
}
const sorted = [...t].sort((a, b) => a - b);
console.log(JSON.stringify({ model: which, medianMs: sorted[sorted.length >> 1], minMs: sorted[0] }));
