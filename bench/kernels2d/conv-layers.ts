// (diagnostic) Mean and min time of the edge student's conv layers (forward, dx, dw), batch 16.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/index.js';

async function main(): Promise<void> {
  await initBackend();
  for (const [s, ci, co] of [[128, 3, 3], [64, 3, 3], [128, 3, 32], [64, 32, 64], [32, 64, 128], [16, 128, 192]] as const) {
    const x = tf.randomNormal([16, s, s, ci]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, ci, co]) as tf.Tensor4D;
    const dy = tf.randomNormal([16, s, s, co]) as tf.Tensor4D;
    const ops: Record<string, () => tf.Tensor> = {
      fwd: () => tf.conv2d(x, w, 1, 'same'),
      dx: () => tf.conv2dTranspose(dy, w, [16, s, s, ci], 1, 'same'),
      dw: () => tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(w)),
    };
    const line: string[] = [];
    for (const [name, f] of Object.entries(ops)) {
      const t: number[] = [];
      for (let i = 0; i < 12; i++) {
        const t0 = performance.now();
        const r = f();
        r.dataSync();
        t.push(performance.now() - t0);
        r.dispose();
      }
      const u = t.slice(2);
      line.push(`${name} mean ${(u.reduce((a, b) => a + b, 0) / u.length).toFixed(2)} min ${Math.min(...u).toFixed(2)}`);
    }
    console.log(`${s}x${s} ${ci}->${co}: ${line.join(' | ')} ms`);
    tf.dispose([x, w, dy]);
  }
}
void main();
