/**
 * NaN or Inf in the validation split stops fit with a typed error naming the split, the epoch and
 * the first sample (issue 21, item 3), as a non-finite training loss already does.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ArrayBatchSource } from '../../src/data/array-source.js';
import { NonFiniteValidationError } from '../../src/backend/errors.js';
import { Learner } from '../../src/learner/learner.js';
import { tinyClassifier } from './helpers.js';
import { expectNoTensorLeaks } from '../helpers/tensor-leaks.js';

await tf.setBackend('cpu');
expectNoTensorLeaks();

function source(bad: { index: number; value: number }): ArrayBatchSource {
  const split = (n: number, name: string, poison?: { index: number; value: number }) => {
    const x = Float32Array.from({ length: n * 16 }, (_, i) => ((i * 7919) % 13) / 13 + (Math.floor(i / 16) % 2));
    if (poison) x[poison.index * 16 + 5] = poison.value;
    return { x, y: Array.from({ length: n }, (_, i) => i % 2), ids: Array.from({ length: n }, (_, i) => `${name}${i}`) };
  };
  return new ArrayBatchSource({ classes: ['CN', 'AD'], sampleShape: [4, 4, 1], splits: { train: split(8, 't'), valid: split(12, 'v', bad) }, seed: 1 });
}

describe('non-finite validation', () => {
  it('a NaN in a validation sample stops fit at epoch 0, naming the split and the sample', async () => {
    const l = new Learner(source({ index: 9, value: NaN }), tinyClassifier(1, 0), { seed: 1, batchSize: 4 });
    const err = await l.fit(2, { lr: 0.01 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteValidationError);
    const e = err as NonFiniteValidationError;
    expect([e.split, e.epoch, e.sample]).toEqual(['valid', 0, 'v9']);
    expect(e.message).toMatch(/validation loss is not finite at epoch 0 \(split valid\): first sample v9, whose input holds 1 NaN or infinite value/);
    expect(l.history).toHaveLength(0);
    l.dispose();
    l.model.dispose();
  });

  it('an infinite input value is caught the same way', async () => {
    const l = new Learner(source({ index: 2, value: Infinity }), tinyClassifier(1, 0), { seed: 1, batchSize: 4 });
    await expect(l.fit(1, { lr: 0.01 })).rejects.toThrow(/first sample v2/);
    l.dispose();
    l.model.dispose();
  });
});
