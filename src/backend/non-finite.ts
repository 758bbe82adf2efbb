/** Counting NaN and ±Infinity values (the check every reader, normaliser and loss diagnosis shares). */

/**
 * Number of NaN or ±Infinity values in `a[from, to)` (`v − v` is 0 for every finite v, NaN otherwise).
 * @example
 * countNonFinite(Float32Array.of(1, NaN, Infinity, -2)); // 2
 */
export function countNonFinite(a: ArrayLike<number>, from = 0, to = a.length): number {
  let bad = 0;
  for (let i = from; i < to; i++) {
    const v = a[i];
    if (v - v !== 0) bad++;
  }
  return bad;
}
