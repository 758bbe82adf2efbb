/**
 * One Learner epoch of the edge student (or the teacher) on brain-tumor-mri images through the
 * DataBunch cache, as scripts/kd-brain-tumor.ts runs it: wall and CPU time per epoch, and how much
 * of it the batch stream and the train steps take. Diagnostic tool.
 *
 *   npx tsx bench/kernels2d/epoch.ts [edge|teacher] [perClass] [epochs]
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataBunch, Learner, edgeCnn, folderRows, initBackend, sliceCnn } from '../../src/index.js';
import type { Batch, BatchStreamOptions, SplitName } from '../../src/data/batch.js';
import { SHARED_DATA } from '../lib/shared-data.js';

const which = process.argv[2] ?? 'edge';
const perClass = Number(process.argv[3] ?? 100);
const epochs = Number(process.argv[4] ?? 3);

async function main(): Promise<void> {
  await initBackend();
  const { rows } = await folderRows(`${SHARED_DATA}/brain-tumor-mri`, { extensions: ['.jpg', '.jpeg', '.png'], limit: perClass, limitSeed: 42 });
  const bunch = await DataBunch.fromRows(rows, {
    split: { valid: 0.1, test: 0, seed: 42 }, seed: 42, cacheDir: path.join('/tmp/kd2d-bench', 'cache'),
    pipeline: { input: { kind: 'image2d', mode: 'rgb', size: [128, 128] }, steps: [{ op: 'zScore' }] },
  });
  // Time spent inside the batch stream (making batches), per epoch.
  let streamMs = 0;
  const batches = bunch.batches.bind(bunch);
  bunch.batches = (split: SplitName, o: BatchStreamOptions) => {
    const it = batches(split, o);
    return {
      [Symbol.asyncIterator]() {
        const inner = it[Symbol.asyncIterator]();
        return {
          async next(): Promise<IteratorResult<Batch>> {
            const t0 = performance.now();
            const r = await inner.next();
            streamMs += performance.now() - t0;
            return r;
          },
        };
      },
    } as ReturnType<typeof batches>;
  };
  const student = which === 'edge' ? edgeCnn({ inputShape: [128, 128, 3], seed: 1 }, 4) : sliceCnn({ inputShape: [128, 128, 3], widths: [32, 64, 128, 192] }, 4);
  const learner = new Learner(bunch, { model: student.model, kind: 'classifier' }, { optimizer: 'adamw', weightDecay: 0.01, batchSize: 16, seed: 1 });
  const nTrain = bunch.size('train');
  for (let e = 0; e < epochs; e++) {
    streamMs = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await learner.fit(1, { lr: 1e-3 });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const rec = learner.history.at(-1)!;
    console.log(`${which} epoch ${e}: ${(wall / 1000).toFixed(2)} s wall (${(nTrain / (wall / 1000)).toFixed(0)} train images/s incl. validation), ` +
      `cpu user ${(cpu.user / 1e6).toFixed(2)} s sys ${(cpu.system / 1e6).toFixed(2)} s, batch stream ${(streamMs / 1000).toFixed(2)} s, loss ${rec.trainLoss.toFixed(3)}`);
  }
  console.log(`${nTrain} train images, ${bunch.size('valid')} valid; ${tf.memory().numTensors} tensors`);
}
void main();
