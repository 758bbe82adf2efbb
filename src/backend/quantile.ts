/**
 * The one quantile of the library: linear interpolation between order statistics (numpy's default
 * 'linear' method, interpolated from the nearer neighbour like numpy's _lerp). Intensity
 * percentiles (data/ops/stats.ts) and bootstrap intervals (learner/metrics/bootstrap.ts) use it.
 */

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted`: position q · (n − 1), linear between the two
 * neighbours; NaN for no values.
 * @example quantileSorted([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  // numpy's _lerp: computed from the nearer end for t >= 0.5
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}
