// Loads exported models with stock @tensorflow/tfjs only (no transmri code, no custom layer classes)
// and prints their outputs. argv[2]: a JSON file [{ dir, x: number[], shape: number[] }].
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

await tf.setBackend('cpu');
const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const job of jobs) {
  const modelJson = JSON.parse(readFileSync(join(job.dir, 'model.json'), 'utf8'));
  const bytes = readFileSync(join(job.dir, 'weights.bin'));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData }));
  const y = model.predict(tf.tensor(job.x, job.shape));
  results.push({ dir: job.dir, outputs: model.outputs.length, y: Array.from(await y.data()), shape: y.shape });
}
process.stdout.write(JSON.stringify(results));
