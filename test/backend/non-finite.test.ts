import { describe, expect, it } from 'vitest';
import { countNonFinite } from '../../src/backend/non-finite.js';

describe('countNonFinite', () => {
  it('counts NaN, +Infinity and -Infinity, over the whole array or a range', () => {
    const a = Float32Array.of(1, NaN, Infinity, -2, -Infinity, 0);
    expect(countNonFinite(a)).toBe(3);
    // a[1, 4) = NaN, Infinity, -2
    expect(countNonFinite(a, 1, 4)).toBe(2);
    expect(countNonFinite([0, -0, Number.MAX_VALUE, -Number.MIN_VALUE])).toBe(0);
  });
});
