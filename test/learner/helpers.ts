/** Tiny data and models for the learner tests. */
import * as tf from '@tensorflow/tfjs';
import { ArrayBatchSource } from '../../src/data/array-source.js';
import { Rng } from '../../src/backend/rng.js';
import type { ModelHandle } from '../../src/learner/model-handle.js';

/** Two classes of 4×4×1 images: class 1 has a bright top-left quadrant; noise everywhere. */
export function toySource(options: { seed?: number; n?: { train: number; valid: number; test: number }; badLabel?: boolean } = {}): ArrayBatchSource {
  const rng = new Rng(options.seed ?? 7);
  const n = options.n ?? { train: 24, valid: 12, test: 12 };
  const split = (count: number, name: string) => {
    const x = new Float32Array(count * 16);
    const y: number[] = [];
    for (let i = 0; i < count; i++) {
      const label = i % 2;
      y.push(label);
      for (let p = 0; p < 16; p++) {
        const r = Math.floor(p / 4);
        const c = p % 4;
        x[i * 16 + p] = 0.3 * rng.normal() + (label === 1 && r < 2 && c < 2 ? 1 : 0);
      }
    }
    return { x, y, ids: Array.from({ length: count }, (_, i) => `${name}${i}`) };
  };
  const train = split(n.train, 't');
  if (options.badLabel) train.y[3] = -1;
  return new ArrayBatchSource({
    classes: ['CN', 'AD'],
    sampleShape: [4, 4, 1],
    splits: { train, valid: split(n.valid, 'v'), test: split(n.test, 's') },
    seed: 3,
    pipeline: { steps: ['toy'], version: 1 },
  });
}

/** flatten → dense(8, relu) → dropout(0.25) → dense(2), seeded initializers. */
export function tinyClassifier(seed = 1, dropout = 0.25): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
  m.add(tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  if (dropout > 0) m.add(tf.layers.dropout({ rate: dropout }));
  m.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

/** A dense autoencoder 16 → 4 (code) → 16, outputs [reconstruction, code]. */
export function tinyAutoencoder(seed = 1): ModelHandle {
  const input = tf.input({ shape: [4, 4, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const enc = tf.layers.dense({ units: 4, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }), name: `enc${seed}_${uid++}` });
  const code = enc.apply(flat) as tf.SymbolicTensor;
  const dec = tf.layers.dense({ units: 16, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(code) as tf.SymbolicTensor;
  const recon = tf.layers.reshape({ targetShape: [4, 4, 1] }).apply(dec) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [recon, code] });
  return { model, kind: 'autoencoder', encoder: tf.model({ inputs: input, outputs: code }), encoderLayerNames: [model.layers[1].name, enc.name] };
}
let uid = 0;

/** All weights of a model as plain arrays, layer by layer (getWeights() puts frozen weights last). */
export function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.layers.flatMap((l) => l.weights).map((w) => w.read().dataSync() as Float32Array);
}

/** Fit options of the kill-and-resume fault test (fault.test.ts and its child, fit-child.ts). */
export const FAULT_FIT = { lr: 0.01, schedule: 'cosine' as const };
