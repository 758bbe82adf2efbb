// (diagnostic) Which tfjs JS kernels of an edge-student train step make large outputs.
import * as tf from '@tensorflow/tfjs';
import { edgeCnn, initBackend } from '../../src/index.js';
import { NATIVE_KERNELS } from '../../src/backend/native/kernels.js';

async function main(): Promise<void> {
  await initBackend();
  const native = new Set(NATIVE_KERNELS.map((k) => k.kernelName));
  const seen = new Map<string, number>();
  let on = false;
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (native.has(k.kernelName)) continue;
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({ ...k, kernelFunc: (args) => {
      const r = f(args);
      if (on) for (const t of Array.isArray(r) ? r : [r]) {
        const n = t.shape.reduce((p, v) => p * v, 1);
        seen.set(`${k.kernelName} ${t.shape.join('x')}`, (seen.get(`${k.kernelName} ${t.shape.join('x')}`) ?? 0) + n);
      }
      return r;
    } });
  }
  const model = edgeCnn({ inputShape: [128, 128, 3] }, 4).classifier;
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([16, 128, 128, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
  on = true;
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  opt.applyGradients(grads as Record<string, tf.Variable>);
  on = false;
  tf.dispose([value, ...Object.values(grads)]);
  for (const [k, n] of [...seen].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(String(n).padStart(9), k);
}
void main();
