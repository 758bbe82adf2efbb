// The memory-bound native kernels of the CAE train step on every instruction-set
// path this CPU runs (sse2, avx2, avx512 via setSimd), against references written
// here: the activation gradient with the bias sums of the same pass.
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/backend/rng.js';
import { ACT, type NativeAddon } from '../../src/backend/native/addon.js';
import { findAddonPath, loadAddon } from '../../src/backend/native/register.js';

const path = findAddonPath();
const loaded = path !== undefined ? (loadAddon().addon as NativeAddon | undefined) : undefined;
const addon = loaded !== undefined && typeof loaded.actGradBias === 'function' ? loaded : undefined;
if (!addon) console.warn('native-memops tests skipped: addon not built or from an older version (node native/build.mjs)');

/** act'(y)·dy in float32 arithmetic, as the kernels compute it. */
function gradRef(act: number, d: number, v: number): number {
  const f = Math.fround;
  if (act === ACT.elu) return v >= 0 ? d : f(d * f(v + 1));
  if (act === ACT.relu) return v > 0 ? d : 0;
  if (act === ACT.sigmoid) return f(f(d * v) * f(1 - v));
  return d;
}

/** Index of the first element where a and b differ (Object.is), or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe.skipIf(!addon)('activation gradient with bias sums on every path', () => {
  const a = addon as NativeAddon;
  const paths = addon ? a.simdPaths() : [];
  afterAll(() => { if (addon) { a.setSimd('auto'); a.setThreads(1); } });

  // Channels that divide the 4/8/16 lanes, multiples of them (1-8 vectors a period), and
  // neither (5, 200: the per-row loop); 1237 rows leave tails of every length.
  for (const C of [1, 2, 3, 5, 8, 16, 24, 32, 48, 200]) {
    it(`${C} channels: dx equals the float32 formula, dbias the float64 column sums, on every path`, () => {
      const rows = 1237;
      const n = rows * C;
      const rng = new Rng(C);
      const dy = Float32Array.from({ length: n }, () => rng.normal());
      for (const act of [ACT.none, ACT.relu, ACT.elu, ACT.sigmoid]) {
        const y = Float32Array.from({ length: n }, () => (act === ACT.sigmoid ? rng.uniform(0, 1) : rng.normal()));
        const want = Float32Array.from(dy, (d, i) => gradRef(act, d, y[i]));
        const sums = new Float64Array(C);
        const mags = new Float64Array(C);
        want.forEach((g, i) => { sums[i % C] += g; mags[i % C] += Math.abs(g); });
        for (const p of paths) {
          a.setSimd(p);
          const dx = new Float32Array(n).fill(NaN);
          const db = new Float32Array(C).fill(NaN);
          a.actGradBias(act, dy, y, dx, rows, C, db);
          expect(firstDiff(dx, want), `${p} act ${act} dx`).toBe(-1);
          for (let c = 0; c < C; c++) expect(Math.abs(db[c] - sums[c]) / mags[c], `${p} act ${act} channel ${c}`).toBeLessThan(1e-6);
          // Without an activation, dx and y may be left out: only the sums.
          if (act === ACT.none) {
            const db2 = new Float32Array(C);
            a.actGradBias(act, dy, null, null, rows, C, db2);
            expect(db2).toEqual(db);
          }
          // The plain activation gradient gives the same dx.
          const dx2 = new Float32Array(n);
          a.actGrad(act, dy, y, dx2, n);
          expect(firstDiff(dx2, want), `${p} act ${act} actGrad`).toBe(-1);
        }
      }
    });
  }

  it('sums are the same for 1 and 2 threads (blocks summed in order), on every path', () => {
    const [rows, C] = [40000, 8];
    const rng = new Rng(5);
    const dy = Float32Array.from({ length: rows * C }, () => rng.normal());
    const y = Float32Array.from({ length: rows * C }, () => rng.normal());
    for (const p of paths) {
      a.setSimd(p);
      const run = (threads: number) => {
        a.setThreads(threads);
        const db = new Float32Array(C);
        a.actGradBias(ACT.elu, dy, y, new Float32Array(rows * C), rows, C, db);
        return db;
      };
      expect(run(2), p).toEqual(run(1));
    }
  });

  it('NaN: a NaN output y gives NaN (ELU, sigmoid) or 0 (ReLU), a NaN dy a NaN sum, alike on every path', () => {
    const [rows, C] = [37, 8];
    for (const act of [ACT.relu, ACT.elu, ACT.sigmoid]) {
      const dy = new Float32Array(rows * C).fill(0.5);
      const y = new Float32Array(rows * C).fill(0.25);
      y[3 * C + 2] = NaN;
      dy[5 * C + 6] = NaN;
      for (const p of paths) {
        a.setSimd(p);
        const dx = new Float32Array(rows * C);
        const db = new Float32Array(C);
        a.actGradBias(act, dy, y, dx, rows, C, db);
        expect(dx[3 * C + 2], `${p} act ${act}`).toBe(act === ACT.relu ? 0 : NaN);
        expect(db[2], `${p} act ${act}`).toBe(act === ACT.relu ? (rows - 1) * 0.5 : NaN);
        expect(db[6], `${p} act ${act}`).toBeNaN();
        expect(db[0], `${p} act ${act}`).toBe(rows * gradRef(act, 0.5, 0.25));
      }
    }
  });

  it('refuses an activation without y or dx, and short arrays', () => {
    const z = new Float32Array(16);
    expect(() => a.actGradBias(ACT.elu, z, null, z, 2, 8, new Float32Array(8))).toThrow(/needs y and dx/);
    expect(() => a.actGradBias(ACT.elu, z, z, z, 3, 8, new Float32Array(8))).toThrow(/dy has 16 elements, needs 24/);
    expect(() => a.actGradBias(ACT.none, z, null, null, 2, 8, new Float32Array(4))).toThrow(/dbias has 4 elements, needs 8/);
  });
});
