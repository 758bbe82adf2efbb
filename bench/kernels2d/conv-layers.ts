// (diagnostic) Median and min CPU time (user + system; run with TRANSMRI_THREADS=1) of 2D conv layers
// of the edge student and the teacher: forward, dx, and dw (timed with its forward pass), batch 16.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/index.js';

async function main(): Promise<void> {
  await initBackend();
  const only = process.argv[2];
  for (const [s, ci, co] of [[128, 3, 3], [64, 3, 3], [128, 3, 32], [64, 32, 64], [32, 64, 128], [16, 128, 192]] as const) {
    if (only !== undefined && `${s}/${ci}/${co}` !== only) continue;
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
        const c0 = process.cpuUsage();
        const r = f();
        r.dataSync();
        const c = process.cpuUsage(c0);
        t.push((c.user + c.system) / 1000);
        r.dispose();
      }
      const u = t.slice(2);
      line.push(`${name} median ${[...u].sort((a, b) => a - b)[u.length >> 1].toFixed(1)} min ${Math.min(...u).toFixed(1)}`);
    }
    console.log(`${s}x${s} ${ci}->${co}: ${line.join(' | ')} ms`);
    tf.dispose([x, w, dy]);
  }
}
void main();
