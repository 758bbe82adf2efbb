// Where a 2D train step's wall time goes outside the kernels (diagnostic).
import * as tf from '@tensorflow/tfjs';
import { edgeCnn, initBackend } from '../../src/index.js';

async function main(): Promise<void> {
  await initBackend();
  const model = edgeCnn({ inputShape: [128, 128, 3] }, 4).classifier;
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([16, 128, 128, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
  const t: Record<string, number[]> = { fwd: [], fwdbwd: [], step: [] };
  for (let i = 0; i < Number(process.env.ITERS ?? 12); i++) {
    let t0 = performance.now();
    tf.tidy(() => { (model.apply(x, { training: true }) as tf.Tensor).dataSync(); });
    t.fwd.push(performance.now() - t0);
    t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    value.dataSync();
    t.fwdbwd.push(performance.now() - t0);
    opt.applyGradients(grads as Record<string, tf.Variable>);
    t.step.push(performance.now() - t0);
    tf.dispose([value, ...Object.values(grads)]);
  }
  for (const [k, v] of Object.entries(t)) console.log(k, Math.min(...v.slice(2)).toFixed(1), 'ms min');
  console.log(tf.memory().numTensors, 'tensors');
}
void main();
