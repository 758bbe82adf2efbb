/**
 * Helper process for fault.test.ts: fits the toy classifier with a checkpoint after every epoch,
 * resuming from the checkpoint when there is one; prints `fitting <first epoch>` when the fit starts,
 * `epoch <n>` as each epoch starts, `saving <n>` just before epoch n's checkpoint is written and
 * `done <ms of fitting>` at the end, and writes the final
 * weights to a JSON file.
 * Usage: node --import tsx fit-child.ts <checkpointDir> <weightsOut> <epochs>
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { FormatError } from '../../src/backend/errors.js';
import { readManifest } from '../../src/learner/checkpoint.js';
import { Learner } from '../../src/learner/learner.js';
import { FAULT_FIT, tinyClassifier, toySource, weightValues } from './helpers.js';

await tf.setBackend('cpu');
const [dir, out, epochsArg] = process.argv.slice(2);
let resume: string | undefined = dir;
try {
  await readManifest(dir);
} catch (error) {
  if (!(error instanceof FormatError)) throw error;
  resume = undefined; // killed before the first checkpoint was in place
}
const t0 = performance.now();
const learner = new Learner(toySource(), tinyClassifier(1, 0.25), {
  seed: 4,
  callbacks: [
    { beforeFit: (s) => void process.stdout.write(`fitting ${s.epoch}\n`), beforeEpoch: (s) => void process.stdout.write(`epoch ${s.epoch}\n`) },
    // right before the checkpoint callback (order 100): the next thing this process does is write the checkpoint
    { order: 99, afterEpoch: (s) => void process.stdout.write(`saving ${s.epoch}\n`) },
  ],
});
await learner.fit(Number(epochsArg), { ...FAULT_FIT, checkpoint: dir, ...(resume ? { resume } : {}) });
writeFileSync(out, JSON.stringify(weightValues(learner.model).map((w) => Array.from(w))));
process.stdout.write(`done ${performance.now() - t0}\n`);
