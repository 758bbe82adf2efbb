/**
 * The one quantile of the library: linear interpolation between order statistics (numpy's default).
 */

/** Linear-interpolation quantile of sorted values (numpy's default); NaN for no values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
