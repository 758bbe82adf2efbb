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

/** Index of the first element where a and b differ (NaN equals NaN, -0 equals 0), or -1. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
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

/** Geometry vector of a 2x2x2 stride-2 valid max pool of [N, D, H, W, C]. */
function pool222(s: number[]): Int32Array {
  const [N, D, H, W, C] = s;
  return Int32Array.from([N, D, H, W, C, C, 2, 2, 2, 2, 2, 2, D >> 1, H >> 1, W >> 1, 0, 0, 0]);
}

/** tfjs' 2x2x2 max pool: NaN cells never win; the gradient goes to the last maximum (d, h, w order). */
function poolRef(x: Float32Array, s: number[], dy: Float32Array) {
  const [N, D, H, W, C] = s;
  const [OD, OH, OW] = [D >> 1, H >> 1, W >> 1];
  const y = new Float32Array(N * OD * OH * OW * C);
  const dx = new Float32Array(x.length);
  for (let n = 0; n < N; n++) for (let od = 0; od < OD; od++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let c = 0; c < C; c++) {
      let best = -Infinity;
      let at = -1;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) {
        const idx = ((((n * D + 2 * od + i) * H + 2 * oh + j) * W + 2 * ow + k) * C) + c;
        if (x[idx] >= best) { best = x[idx]; at = idx; }
      }
      const o = (((n * OD + od) * OH + oh) * OW + ow) * C + c;
      y[o] = best;
      if (at >= 0) dx[at] = dy[o];
    }
  }
  return { y, dx };
}

describe.skipIf(!addon)('2x2x2 max pooling and nearest upsampling on every path', () => {
  const a = addon as NativeAddon;
  const paths = addon ? a.simdPaths() : [];
  afterAll(() => { if (addon) a.setSimd('auto'); });

  // 8 channels (AVX-512: two w cells a vector), 16 and 32 (16-lane), 24 (AVX2 only), 3 (baseline);
  // odd sizes leave cells outside every window (gradient 0), odd OW the AVX-512 8-channel tail.
  const shapes = [[2, 5, 4, 7, 8], [1, 4, 6, 6, 8], [1, 3, 5, 4, 16], [2, 4, 3, 5, 32], [1, 4, 4, 5, 24], [1, 3, 4, 5, 3]];
  for (const s of shapes) {
    it(`max pool ${s.join('x')}: forward and gradient (ties to the last maximum) equal the reference`, () => {
      const rng = new Rng(s.reduce((p, v) => p * 7 + v, 1));
      const n = s.reduce((p, v) => p * v, 1);
      // Values in steps of 0.5: many ties inside windows.
      const x = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 2) / 2);
      const g = pool222(s);
      const m = s[0] * (s[1] >> 1) * (s[2] >> 1) * (s[3] >> 1) * s[4];
      const dy = Float32Array.from({ length: m }, () => rng.normal());
      const want = poolRef(x, s, dy);
      for (const p of paths) {
        a.setSimd(p);
        const y = new Float32Array(m).fill(NaN);
        a.maxPool3d(x, g, y);
        expect(firstDiff(y, want.y), `${p} forward`).toBe(-1);
        const dx = new Float32Array(n).fill(NaN);
        a.maxPool3dGrad(dy, x, g, dx);
        expect(firstDiff(dx, want.dx), `${p} gradient`).toBe(-1);
      }
    });
  }

  // Before, the avx2 and avx512 forward started each window's maximum from its first cell,
  // so a NaN there (or a window of NaN) came out as NaN, while sse2 and tfjs ignore NaN.
  it('max pool NaN: NaN cells never win, forward and gradient, alike on every path (as tfjs)', () => {
    for (const C of [8, 16]) {
      const s = [1, 2, 2, 4, C];
      const x = Float32Array.from({ length: 2 * 2 * 4 * C }, (_, i) => (i % 5) - 2);
      const cell = (d: number, h: number, w: number, c: number) => ((d * 2 + h) * 4 + w) * C + c;
      x[cell(1, 0, 1, 0)] = NaN; // window 0, channel 0: a NaN that is not its first cell
      for (let d = 0; d < 2; d++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) x[cell(d, h, w, 1)] = NaN; // all NaN
      x[cell(0, 0, 2, 2)] = NaN; // window 1, channel 2: NaN in the first cell
      const dy = Float32Array.from({ length: 2 * C }, (_, i) => i + 1);
      const want = poolRef(x, s, dy);
      for (const p of paths) {
        a.setSimd(p);
        const y = new Float32Array(2 * C);
        a.maxPool3d(x, pool222(s), y);
        const dx = new Float32Array(x.length).fill(NaN);
        a.maxPool3dGrad(dy, x, pool222(s), dx);
        expect(firstDiff(dx, want.dx), `${p} C ${C} gradient`).toBe(-1);
        expect(y[0], `${p} C ${C}`).toBe(want.y[0]);
        expect(y[1], `${p} C ${C}: all NaN`).toBe(-Infinity);
        expect(y[C + 2], `${p} C ${C}: first cell NaN`).toBe(want.y[C + 2]);
        expect(Number.isNaN(want.y[C + 2])).toBe(false);
        expect(firstDiff(y, want.y), `${p} C ${C} forward`).toBe(-1);
      }
    }
  });

  for (const s of [[2, 3, 2, 5, 8], [1, 2, 3, 3, 16], [1, 3, 2, 3, 32], [1, 2, 2, 3, 24], [2, 3, 3, 2, 1], [1, 2, 3, 2, 3]]) {
    it(`nearest 2x2x2 upsampling of ${s.join('x')}: copies, and gradient block sums in one fixed order, alike on every path`, () => {
      const [N, D, H, W, C] = s;
      const rng = new Rng(s.reduce((p, v) => p * 5 + v, 3));
      const n = N * D * H * W * C;
      const x = Float32Array.from({ length: n }, () => rng.normal());
      const dy = Float32Array.from({ length: 8 * n }, () => rng.normal());
      const at = (nn: number, d: number, h: number, w: number, c: number) => ((((nn * 2 * D + d) * 2 * H + h) * 2 * W + w) * C) + c;
      const y = new Float32Array(8 * n);
      const dx = new Float32Array(n);
      const f = Math.fround;
      for (let nn = 0; nn < N; nn++) for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
        const v = x[(((nn * D + d) * H + h) * W + w) * C + c];
        const t: number[] = [];
        for (let k = 0; k < 2; k++) {
          for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) y[at(nn, 2 * d + i, 2 * h + j, 2 * w + k, c)] = v;
          const q = (i: number, j: number) => dy[at(nn, 2 * d + i, 2 * h + j, 2 * w + k, c)];
          t.push(f(f(q(0, 0) + q(0, 1)) + f(q(1, 0) + q(1, 1))));
        }
        dx[(((nn * D + d) * H + h) * W + w) * C + c] = f(t[0] + t[1]);
      }
      const p8 = Int32Array.from([N, D, H, W, C, 2, 2, 2]);
      for (const p of paths) {
        a.setSimd(p);
        const yo = new Float32Array(8 * n).fill(NaN);
        a.upsample3dNearest(x, p8, yo);
        expect(firstDiff(yo, y), `${p} forward`).toBe(-1);
        const dxo = new Float32Array(n).fill(NaN);
        a.upsample3dNearestGrad(dy, p8, dxo);
        expect(firstDiff(dxo, dx), `${p} gradient`).toBe(-1);
      }
    });
  }
});
