/**
 * Near-duplicate search on grey thumbnails: every pair of samples whose thumbnails have a
 * Pearson correlation r ≥ threshold, found without comparing all pairs in full.
 *
 * Algorithm (exact: it finds the same pairs as the brute force over all pairs):
 * 1. Each thumbnail becomes a unit vector u (minus its mean, divided by its norm); then
 *    r(i, j) = u_i · u_j and r ≥ t ⟺ |u_i − u_j|² ≤ ε² = 2(1 − t). Constant thumbnails
 *    (r undefined, e.g. blank slices) are never paired.
 * 2. Candidate stage: the 8 × 8 block means of u, scaled so that they are the coordinates of an
 *    orthogonal projection, are rotated onto their principal axes (a 64 × 64 eigenproblem).
 *    A projection never lengthens a difference, so a pair can only be a near-duplicate when its
 *    projected distance is ≤ ε. Samples are binned on a grid of the first two axes with cells of
 *    side ε and compared only with those of the same and the neighbouring cells; the partial
 *    squared distance over the axes (largest variance first) stops as soon as it exceeds ε².
 * 3. Confirmation: the candidates left get their exact r on the whole thumbnail.
 * On the 7,023 brain-tumour images (32 × 32) steps 2–3 take well under a second; decoding
 * the thumbnails dominates.
 */
import { OptionError } from '../../backend/errors.js';
import type { SplitName } from '../batch.js';

/** Default near-duplicate threshold: Pearson r of the 32 × 32 grey thumbnails ≥ 0.98. */
export const DEFAULT_NEAR_THRESHOLD = 0.98;

/** Lowest threshold accepted: below it the candidate stage no longer prunes and "near-duplicate" means little. */
export const MIN_NEAR_THRESHOLD = 0.5;

/** Two samples (indices into the thumbnail list, i < j) and the Pearson r of their thumbnails. */
export interface NearPair {
  i: number;
  j: number;
  r: number;
}

/** What {@link nearDuplicatePairs} found. */
export interface NearDuplicateSearch {
  /** Pairs with r ≥ threshold, sorted by i then j. */
  pairs: NearPair[];
  /** Indices of constant thumbnails (never paired). */
  constant: number[];
  /** Pairs whose exact r was computed (the candidate stage's survivors). */
  candidates: number;
}

/**
 * Throws an OptionError naming `option` unless `t` is a Pearson r in [0.5, 1].
 * Hamming distances of the old 64-bit dHash (integers 0..64) are out of range on purpose.
 */
export function checkNearThreshold(option: string, t: unknown): number {
  if (!(typeof t === 'number' && t >= MIN_NEAR_THRESHOLD && t <= 1)) {
    throw new OptionError(option, `expected a Pearson r of the ${'32×32'} grey thumbnails in [${MIN_NEAR_THRESHOLD}, 1] (default ${DEFAULT_NEAR_THRESHOLD}), got ${JSON.stringify(t)}`);
  }
  return t;
}

/**
 * All pairs of thumbnails with Pearson r ≥ `threshold` (exact; see the file comment).
 * @param thumbs square grey thumbnails of one size, a multiple of 8 (e.g. from `thumbnails`)
 * @param threshold Pearson r in [0.5, 1]; default 0.98
 * @example
 * const { pairs } = nearDuplicatePairs(await thumbnails(files), 0.98);
 */
export function nearDuplicatePairs(thumbs: readonly Float32Array[], threshold = DEFAULT_NEAR_THRESHOLD): NearDuplicateSearch {
  checkNearThreshold('nearDuplicatePairs threshold', threshold);
  const n = thumbs.length;
  const d = n > 0 ? thumbs[0].length : 0;
  const side = Math.round(Math.sqrt(d));
  if (n > 0 && (side * side !== d || side % 8 !== 0)) throw new OptionError('nearDuplicatePairs thumbs', `expected square thumbnails with a side that is a multiple of 8, got ${d} pixels`);
  thumbs.forEach((t, i) => {
    if (t.length !== d) throw new OptionError('nearDuplicatePairs thumbs', `thumbnail ${i} has ${t.length} pixels, thumbnail 0 has ${d}`);
  });
  const { unit, valid, constant } = unitVectors(thumbs, d);
  const ids = valid;
  const m = ids.length;
  const K = 64;
  const coarse = blockCoordinates(unit, ids, side);
  const axes = principalAxes(coarse, m, K);
  // coordinates on the principal axes (the same distances as the block coordinates)
  const proj = new Float64Array(m * K);
  for (let a = 0; a < m; a++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let q = 0; q < K; q++) s += axes[k * K + q] * coarse[a * K + q];
      proj[a * K + k] = s;
    }
  }
  const eps2 = 2 * (1 - threshold);
  const bound = eps2 * (1 + 1e-9) + 1e-9;
  const cell = Math.sqrt(bound);
  // grid on the first two axes with cells of side ε: a near-duplicate sits in the same or a neighbouring cell
  const cells = new Map<string, number[]>();
  for (let a = 0; a < m; a++) {
    const key = `${Math.floor(proj[a * K] / cell)},${Math.floor(proj[a * K + 1] / cell)}`;
    const list = cells.get(key);
    if (list) list.push(a);
    else cells.set(key, [a]);
  }
  const pairs: NearPair[] = [];
  let candidates = 0;
  const check = (x: number, y: number): void => {
    const ox = x * K;
    const oy = y * K;
    let s = 0;
    for (let k = 0; k < K && s <= bound; k++) {
      const dk = proj[oy + k] - proj[ox + k];
      s += dk * dk;
    }
    if (s > bound) return;
    candidates++;
    const i = ids[x];
    const j = ids[y];
    const r = dot(unit, i * d, j * d, d);
    if (r >= threshold) pairs.push(i < j ? { i, j, r } : { i: j, j: i, r });
  };
  for (const [key, members] of cells) {
    const [cx, cy] = key.split(',').map(Number);
    for (let x = 0; x < members.length; x++) for (let y = x + 1; y < members.length; y++) check(members[x], members[y]);
    // forward neighbours only, so each pair of cells is visited once
    for (const [dx, dy] of [[1, -1], [1, 0], [1, 1], [0, 1]]) {
      const other = cells.get(`${cx + dx},${cy + dy}`);
      if (!other) continue;
      for (const x of members) for (const y of other) check(x, y);
    }
  }
  pairs.sort((a, b) => a.i - b.i || a.j - b.j);
  return { pairs, constant, candidates };
}

/** Centred, unit-norm rows (one per thumbnail) and which thumbnails are constant. */
function unitVectors(thumbs: readonly Float32Array[], d: number): { unit: Float32Array; valid: number[]; constant: number[] } {
  const unit = new Float32Array(thumbs.length * d);
  const valid: number[] = [];
  const constant: number[] = [];
  thumbs.forEach((t, i) => {
    let sum = 0;
    let scale = 0;
    for (let k = 0; k < d; k++) {
      sum += t[k];
      const v = t[k] < 0 ? -t[k] : t[k];
      if (v > scale) scale = v;
    }
    const mean = sum / d;
    let ss = 0;
    for (let k = 0; k < d; k++) {
      const v = t[k] - mean;
      ss += v * v;
    }
    // relative to the intensity scale: float noise around a constant is still constant
    if (!(ss > d * (1e-6 * Math.max(scale, 1e-30)) ** 2)) {
      constant.push(i);
      return;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let k = 0; k < d; k++) unit[i * d + k] = (t[k] - mean) * inv;
    valid.push(i);
  });
  return { unit, valid, constant };
}

/** The 8 × 8 block sums / block side: coordinates of the orthogonal projection onto block-constant images. */
function blockCoordinates(unit: Float32Array, ids: readonly number[], side: number): Float64Array {
  const b = side / 8;
  const d = side * side;
  const out = new Float64Array(ids.length * 64);
  ids.forEach((i, a) => {
    const o = a * 64;
    for (let r = 0; r < side; r++) {
      const br = Math.floor(r / b) * 8;
      for (let c = 0; c < side; c++) out[o + br + Math.floor(c / b)] += unit[i * d + r * side + c];
    }
    for (let k = 0; k < 64; k++) out[o + k] /= b;
  });
  return out;
}

/** Eigenvectors (rows, largest eigenvalue first) of the covariance of `m` rows of `k` values. */
function principalAxes(x: Float64Array, m: number, k: number): Float64Array {
  const mean = new Float64Array(k);
  for (let a = 0; a < m; a++) for (let q = 0; q < k; q++) mean[q] += x[a * k + q] / m;
  const cov = new Float64Array(k * k);
  const row = new Float64Array(k);
  for (let a = 0; a < m; a++) {
    for (let q = 0; q < k; q++) row[q] = x[a * k + q] - mean[q];
    for (let q = 0; q < k; q++) {
      const v = row[q];
      if (v === 0) continue;
      for (let r = q; r < k; r++) cov[q * k + r] += v * row[r];
    }
  }
  for (let q = 0; q < k; q++) for (let r = 0; r < q; r++) cov[q * k + r] = cov[r * k + q];
  const { values, vectors } = jacobiEigen(cov, k);
  const rank = Array.from({ length: k }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const out = new Float64Array(k * k);
  rank.forEach((col, i) => {
    for (let q = 0; q < k; q++) out[i * k + q] = vectors[q * k + col];
  });
  return out;
}

/** Cyclic Jacobi eigen-decomposition of a symmetric k × k matrix: eigenvalues and eigenvectors (columns). */
export function jacobiEigen(sym: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(sym);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  let total = 0;
  for (let i = 0; i < k * k; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q] ** 2;
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (apq === 0) continue;
        const theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p];
          const arq = a[r * k + q];
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r];
          const aqr = a[q * k + r];
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: k }, (_, i) => a[i * k + i]), vectors: v };
}

function dot(x: Float32Array, a: number, b: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let k = 0;
  for (; k + 1 < d; k += 2) {
    s0 += x[a + k] * x[b + k];
    s1 += x[a + k + 1] * x[b + k + 1];
  }
  if (k < d) s0 += x[a + k] * x[b + k];
  return s0 + s1;
}

/**
 * Connected components of the graph whose edges are `pairs` (union-find).
 * @returns the component id of each of the `n` samples: the smallest index in its component
 */
export function nearComponents(n: number, pairs: ReadonlyArray<{ i: number; j: number }>): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (const { i, j } of pairs) {
    const [a, b] = [find(i), find(j)];
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  }
  return Int32Array.from({ length: n }, (_, i) => find(i));
}

/** Share of a split's samples with a near-duplicate in train. */
export interface SplitContamination {
  /** Samples in the split. */
  n: number;
  /** Samples with a near-duplicate (r ≥ threshold, identical files included) in train. */
  flagged: number;
  /** flagged / n (0 for an empty split). */
  share: number;
}

/**
 * Per split (valid, test), how many samples have a near-duplicate in train.
 * @param splitOf the split of each sample (undefined: in no split, e.g. a dropped test duplicate)
 * @param pairs near-duplicate pairs over the same sample indices
 */
export function contamination(splitOf: ReadonlyArray<SplitName | undefined>, pairs: ReadonlyArray<{ i: number; j: number }>): Record<'valid' | 'test', SplitContamination> {
  const hit = new Set<number>();
  for (const { i, j } of pairs) {
    if (splitOf[j] === 'train' && splitOf[i] !== 'train') hit.add(i);
    if (splitOf[i] === 'train' && splitOf[j] !== 'train') hit.add(j);
  }
  const of = (split: SplitName): SplitContamination => {
    let n = 0;
    let flagged = 0;
    splitOf.forEach((s, i) => {
      if (s !== split) return;
      n++;
      if (hit.has(i)) flagged++;
    });
    return { n, flagged, share: n === 0 ? 0 : flagged / n };
  };
  return { valid: of('valid'), test: of('test') };
}

/**
 * The warning to give when validation is more than twice as contaminated as test (model
 * selection on validation is then optimistic), else undefined.
 */
export function contaminationWarning(c: Record<'valid' | 'test', SplitContamination>): string | undefined {
  if (c.valid.flagged === 0 || c.test.n === 0 || c.valid.share <= 2 * c.test.share) return undefined;
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  return (
    `validation is more contaminated than test: ${pct(c.valid.share)} of valid images (${c.valid.flagged}/${c.valid.n}) have a near-duplicate in train, ` +
    `against ${pct(c.test.share)} of test images (${c.test.flagged}/${c.test.n}); epochs and models chosen on validation will look better than they are. ` +
    "Split with split: { groupBy: 'nearDuplicates' } (near-duplicates become one pseudo-subject)"
  );
}
