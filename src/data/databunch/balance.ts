/**
 * Class balance: inverse-frequency class weights, seeded undersampling, oversampled epoch orders.
 */
import { DataError } from '../../backend/errors.js';
import type { Rng } from '../../backend/rng.js';

/**
 * Inverse-frequency class weights w_k = N / (K · n_k), where N counts the labelled samples,
 * K the classes and n_k the samples of class k (so a balanced set gets all ones and Σ_k n_k w_k = N).
 * @param labels class index per sample (-1 = unlabelled, ignored)
 * @param numClasses K
 * @throws DataError when a class has no sample (its weight would be infinite)
 * @example
 * inverseFrequencyWeights([0, 0, 0, 1], 2); // [4/(2·3), 4/(2·1)] = [0.667, 2]
 */
export function inverseFrequencyWeights(labels: ArrayLike<number>, numClasses: number, classNames?: readonly string[]): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    counts[labels[i]] += 1;
    n += 1;
  }
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw new DataError(`class weights: class ${classNames?.[empty] ?? empty} has no training sample (counts ${counts.join(', ')})`);
  return counts.map((c) => n / (numClasses * c));
}

/**
 * Seeded undersampling: keeps min_k n_k samples of every class, drawn without replacement.
 * @returns the indices kept, in increasing order
 */
export function undersample(labels: ArrayLike<number>, rng: Rng): number[] {
  const byClass = indicesByClass(labels);
  const keep = Math.min(...byClass.map((l) => l.length));
  const kept: number[] = [];
  for (const list of byClass) kept.push(...rng.shuffle([...list]).slice(0, keep));
  return kept.sort((a, b) => a - b);
}

/**
 * An oversampled epoch: every class contributes max_k n_k draws (each of its samples once per
 * full pass, the remainder drawn without replacement), then the whole list is shuffled.
 * @returns sample indices (with repeats), length K · max_k n_k
 */
export function oversampledOrder(labels: ArrayLike<number>, rng: Rng): number[] {
  const byClass = indicesByClass(labels);
  const target = Math.max(...byClass.map((l) => l.length));
  const order: number[] = [];
  for (const list of byClass) {
    for (let full = 0; full + list.length <= target; full += list.length) order.push(...list);
    const rest = target % list.length;
    if (rest > 0) order.push(...rng.shuffle([...list]).slice(0, rest));
  }
  return rng.shuffle(order);
}

/** Sample indices of each class present, classes in increasing label order. */
function indicesByClass(labels: ArrayLike<number>): number[][] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  return [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c) as number[]);
}
