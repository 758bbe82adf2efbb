// Every instruction-set path of the native addon this CPU can run (sse2, avx2,
// avx512) against float64 reference convolutions written here, and the paths
// against each other; the run-time selection (setSimd) and its errors; and the
// check that AVX code sits only in the run-time-selected paths.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Rng } from '../../src/backend/rng.js';
import type { NativeAddon } from '../../src/backend/native/addon.js';
import { findAddonPath, loadAddon } from '../../src/backend/native/register.js';
// @ts-expect-error: plain ESM script without types
import { findBaselineViolations } from '../../native/check-isa.mjs';

const path = findAddonPath();
const loaded = path !== undefined ? (loadAddon().addon as NativeAddon | undefined) : undefined;
const addon = loaded !== undefined && typeof loaded.setSimd === 'function' ? loaded : undefined;
if (!addon) console.warn('native-simd tests skipped: addon not built or from an older version (node native/build.mjs)');

interface G { N: number; D: number; H: number; W: number; Ci: number; Co: number; K: [number, number, number]; S: [number, number, number]; same: boolean; act?: 'elu' | 'sigmoid' }

/** The addon's geometry vector and output size of a 'same' (or 'valid') convolution. */
function geom(g: G) {
  const out = [g.D, g.H, g.W].map((n, i) => (g.same ? Math.ceil(n / g.S[i]) : Math.floor((n - g.K[i]) / g.S[i]) + 1));
  const pads = [g.D, g.H, g.W].map((n, i) => (g.same ? Math.floor(Math.max(0, (out[i] - 1) * g.S[i] + g.K[i] - n) / 2) : 0));
  const vec = Int32Array.from([g.N, g.D, g.H, g.W, g.Ci, g.Co, ...g.K, ...g.S, ...out, ...pads]);
  return { vec, out, pads };
}

/** float64 reference: y = act(conv(x, w) + b), dx, dw for a given dy. */
function reference(g: G, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, act: 'none' | 'elu' | 'sigmoid') {
  const { out: [OD, OH, OW], pads: [pf, pt, pl] } = geom(g);
  const [KD, KH, KW] = g.K;
  const y = new Float64Array(g.N * OD * OH * OW * g.Co);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let n = 0; n < g.N; n++) for (let od = 0; od < OD; od++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const yo = (((n * OD + od) * OH + oh) * OW + ow) * g.Co;
    for (let co = 0; co < g.Co; co++) y[yo + co] = b[co];
    for (let kd = 0; kd < KD; kd++) {
      const d = od * g.S[0] + kd - pf;
      if (d < 0 || d >= g.D) continue;
      for (let kh = 0; kh < KH; kh++) {
        const h = oh * g.S[1] + kh - pt;
        if (h < 0 || h >= g.H) continue;
        for (let kw = 0; kw < KW; kw++) {
          const ww = ow * g.S[2] + kw - pl;
          if (ww < 0 || ww >= g.W) continue;
          const xo = (((n * g.D + d) * g.H + h) * g.W + ww) * g.Ci;
          const wo = ((kd * KH + kh) * KW + kw) * g.Ci * g.Co;
          for (let ci = 0; ci < g.Ci; ci++) {
            const xv = x[xo + ci];
            for (let co = 0; co < g.Co; co++) {
              const wi = wo + ci * g.Co + co;
              y[yo + co] += xv * w[wi];
              dx[xo + ci] += dy[yo + co] * w[wi];
              dw[wi] += xv * dy[yo + co];
            }
          }
        }
      }
    }
  }
  if (act === 'elu') for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = Math.expm1(y[i]);
  if (act === 'sigmoid') for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-y[i]));
  return { y, dx, dw };
}

function relErr(a: Float32Array, b: Float64Array | Float32Array): number {
  let err = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length === b.length ? err / scale : Infinity;
}

/** A copy of v as a view `off` floats into a larger buffer (to vary the data's alignment). */
function at(v: Float32Array, off: number): Float32Array {
  const view = new Float32Array(v.length + 8).subarray(off, off + v.length);
  view.set(v);
  return view;
}

/** The first index where a and b differ in their bits, or -1 (NaNs alike compare equal). */
function firstBitDiff(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (ua.length !== ub.length) return 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = scale * rng.normal();
  return v;
}

// Thick layers (the AVX-512 16-lane tiles: 16, 32 and 20 channels, tile widths with
// remainders), thin ones (8-lane tiles, dot products for Co < 4), strides and 2D (D = 1).
const CASES: G[] = [
  { N: 2, D: 4, H: 5, W: 19, Ci: 16, Co: 32, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 5, H: 4, W: 33, Ci: 32, Co: 16, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 6, W: 7, Ci: 8, Co: 16, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 4, H: 4, W: 13, Ci: 12, Co: 20, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 5, H: 5, W: 9, Ci: 16, Co: 48, K: [2, 3, 1], S: [2, 1, 2], same: true },
  { N: 2, D: 4, H: 6, W: 26, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 6, H: 5, W: 7, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 5, H: 6, W: 7, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 5, H: 7, W: 6, Ci: 5, Co: 6, K: [3, 3, 3], S: [2, 2, 2], same: false },
  { N: 2, D: 1, H: 9, W: 17, Ci: 16, Co: 32, K: [1, 3, 3], S: [1, 1, 1], same: true },
  // Rows of at most half a tile, an odd number of them (forward tiles over two rows, the
  // last row alone): the CAE's 8-wide deep layers (32 -> 16; 16 -> 32, whose dx is 32 -> 16),
  // and 8 channels on 6-wide rows (AVX2's 12-position tiles).
  { N: 1, D: 3, H: 5, W: 8, Ci: 32, Co: 16, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 5, W: 8, Ci: 16, Co: 32, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 5, W: 6, Ci: 8, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  // AVX-512's three-tap tiles (one vector of output channels, stride 1 along W) with a
  // channel stride of 48 (the last 16 of 48 channels), 12 input channels (a partial block
  // of 8) and rows of 2 and 5 outputs.
  { N: 1, D: 3, H: 4, W: 5, Ci: 12, Co: 48, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 2, D: 2, H: 3, W: 2, Ci: 16, Co: 16, K: [3, 3, 3], S: [1, 1, 1], same: true },
  // One input channel, stride 1 (AVX-512 position pairs): 33-wide rows (two tiles, an odd
  // end), 5 output channels (no full 8-channel stores); 8 -> 1 on 33-wide rows, whose dx is 1 -> 8.
  { N: 2, D: 3, H: 4, W: 33, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 3, W: 10, Ci: 1, Co: 5, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 33, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
  // 8 -> 1, stride 1 along W, three taps along W (AVX-512 reads the unpadded input: taps
  // outside D/H skipped, W ends masked; 16 outputs per block): 64-wide rows (edge and
  // interior blocks), an odd width with a partial last block, 'valid' (even offset of the
  // taps), rows narrower than a block, strides along D/H, sigmoid; and neighbours that
  // keep the padded path (two output channels, two taps along W, stride 2 along W).
  { N: 2, D: 3, H: 4, W: 64, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true, act: 'sigmoid' },
  { N: 1, D: 4, H: 3, W: 37, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 2, D: 4, H: 5, W: 40, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 1, D: 3, H: 3, W: 5, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 2, H: 4, W: 1, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 5, H: 6, W: 50, Ci: 8, Co: 1, K: [3, 2, 3], S: [2, 2, 1], same: true },
  // 8 -> 1, 3x3x3, even W (AVX-512: all 27 taps of a row at once): strides along D/H, 2-wide rows.
  { N: 2, D: 5, H: 6, W: 18, Ci: 8, Co: 1, K: [3, 3, 3], S: [2, 2, 1], same: true },
  { N: 1, D: 3, H: 4, W: 2, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 21, Ci: 8, Co: 2, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 21, Ci: 8, Co: 1, K: [3, 3, 2], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 21, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 2], same: true },
  // 1 -> 8, stride 1 and three taps along W (AVX-512 filter gradient on the unpadded input,
  // 16 positions per vector, dy transposed per chunk of rows): 64-wide rows of a batch of 2
  // (many chunks), exactly one block, 'valid', strides along D/H; neighbours keeping the
  // padded path: two taps along W, stride 2 along W.
  { N: 2, D: 4, H: 5, W: 64, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 2, W: 16, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 2, D: 4, H: 5, W: 23, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 1, D: 5, H: 6, W: 19, Ci: 1, Co: 8, K: [2, 3, 3], S: [2, 2, 1], same: true },
  { N: 1, D: 3, H: 4, W: 19, Ci: 1, Co: 8, K: [3, 3, 2], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 19, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 2], same: true },
  // 16 or 32 -> 8, stride 1 and three taps along W (AVX-512 reads the unpadded input, taps
  // outside D/H skipped, the tiles' end positions outside the row read as zeros): 32-wide
  // rows of a batch of 2 (two tiles), one tile, odd and 1-wide rows, 'valid', strides and
  // two taps along D/H; the input gradients of 8 -> 16 'valid' (pads of 2 along W, rows of
  // 1 input position); neighbours keeping the padded path: 5 output channels, 12 input
  // channels, stride 2 and two taps along W.
  { N: 2, D: 3, H: 4, W: 32, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true, act: 'sigmoid' },
  { N: 1, D: 4, H: 3, W: 16, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 3, W: 7, Ci: 32, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 1, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 2, D: 4, H: 5, W: 23, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 1, D: 5, H: 6, W: 19, Ci: 16, Co: 8, K: [2, 3, 3], S: [2, 2, 1], same: true },
  { N: 1, D: 4, H: 4, W: 20, Ci: 8, Co: 16, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 2, D: 3, H: 4, W: 3, Ci: 8, Co: 32, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 1, D: 3, H: 4, W: 21, Ci: 16, Co: 5, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 21, Ci: 12, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 21, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 2], same: true },
  { N: 1, D: 3, H: 4, W: 21, Ci: 16, Co: 8, K: [3, 3, 2], S: [1, 1, 1], same: true },
  // 8 output channels from input channels in blocks of 16, stride 1 and three taps along W
  // (AVX-512 filter gradient on the unpadded input, lanes over 16 input channels, dy
  // broadcast; taps outside D/H skipped, inputs outside W zeros): rows of 32, 16 and 1
  // outputs (the cases above), 7 outputs in a batch of 2, 'valid', strides along D/H, 32
  // input channels (two blocks); neighbours keeping the padded pair tiles: 24 input
  // channels, two taps along W, stride 2 along W.
  { N: 2, D: 3, H: 3, W: 7, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 2, D: 4, H: 5, W: 9, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 1, D: 5, H: 6, W: 11, Ci: 16, Co: 8, K: [2, 3, 3], S: [2, 2, 1], same: true },
  { N: 1, D: 3, H: 4, W: 10, Ci: 32, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 10, Ci: 24, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 10, Ci: 16, Co: 8, K: [3, 3, 2], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 10, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 2], same: true },
  // 1 -> 8 forward (and the dx of 8 -> 1), AVX-512 pairs of positions on the unpadded
  // input: one tile reaching past both row ends (32), three tiles with an interior one (65),
  // rows of 1 and 2, 'valid' (dx: two taps past each end, OW 36 and 3), strides along D/H,
  // sigmoid; neighbours that keep the padded path: 16 and 2 channels.
  { N: 2, D: 3, H: 4, W: 32, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true, act: 'sigmoid' },
  { N: 1, D: 3, H: 3, W: 65, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 2, D: 3, H: 3, W: 1, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 2, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 2, D: 4, H: 4, W: 36, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 1, D: 5, H: 6, W: 3, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: false },
  { N: 1, D: 6, H: 7, W: 32, Ci: 1, Co: 8, K: [3, 3, 3], S: [2, 2, 1], same: true },
  { N: 1, D: 3, H: 4, W: 20, Ci: 1, Co: 16, K: [3, 3, 3], S: [1, 1, 1], same: true },
  { N: 1, D: 3, H: 4, W: 20, Ci: 2, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
];

describe.skipIf(!addon)('native instruction-set paths', () => {
  const a = addon as NativeAddon;
  const paths = addon ? a.simdPaths() : [];
  afterAll(() => { if (addon) a.setSimd('auto'); });

  it('lists the paths this CPU runs, from sse2 up, and auto selects the best', () => {
    expect(paths[0]).toBe('sse2');
    expect(['sse2', 'avx2', 'avx512'].slice(0, paths.length)).toEqual(paths);
    expect(a.setSimd('auto')).toBe(paths[paths.length - 1]);
    expect(a.simd()).toBe(paths[paths.length - 1]);
  });

  it('refuses an unknown path and one the CPU cannot run, keeping the current one', () => {
    a.setSimd('sse2');
    expect(() => a.setSimd('avx1024' as never)).toThrow(/unknown SIMD path 'avx1024'/);
    for (const p of ['avx2', 'avx512'] as const) {
      if (!paths.includes(p)) expect(() => a.setSimd(p)).toThrow(/cannot run the/);
    }
    expect(a.simd()).toBe('sse2');
    a.setSimd('auto');
  });

  for (const g of CASES) {
    const act = g.act ?? 'elu';
    const label = `${g.N}x${g.D}x${g.H}x${g.W}x${g.Ci} -> ${g.Co}, k ${g.K.join('x')}, s ${g.S.join('x')}${g.same ? ' same' : ' valid'}`;
    it(`${label}: forward (bias + ${act}), dx and dw on every path match the float64 reference`, () => {
      const rng = new Rng(g.W * 131 + g.Ci * 7 + g.Co);
      const { vec, out } = geom(g);
      const nIn = g.N * g.D * g.H * g.W * g.Ci;
      const nOut = g.N * out[0] * out[1] * out[2] * g.Co;
      const nW = g.K[0] * g.K[1] * g.K[2] * g.Ci * g.Co;
      const x = randn(rng, nIn);
      const w = randn(rng, nW, 0.2);
      const b = randn(rng, g.Co, 0.5);
      const dy = randn(rng, nOut);
      const ref = reference(g, x, w, b, dy, act);
      const results: Record<string, Float32Array[]> = {};
      // The AVX-512 kernels on the unpadded input (8 -> 1, 1 -> 8) run only when x (and
      // dy) start on a 32-byte boundary, else the padded path: inputs at 8 consecutive
      // float offsets in a larger buffer, so that one of them is aligned whatever the
      // allocator returns, and the others test the fallback.
      const direct = (g.Ci === 8 && g.Co === 1) || (g.Ci === 1 && g.Co === 8);
      for (const off of direct ? [0, 1, 2, 3, 4, 5, 6, 7] : [0]) {
        const xs = at(x, off);
        const dys = at(dy, off);
        for (const p of paths) {
          expect(a.setSimd(p)).toBe(p);
          const y = new Float32Array(nOut).fill(NaN);
          const dx = new Float32Array(nIn).fill(NaN);
          const dw = new Float32Array(nW).fill(NaN);
          a.conv3d(xs, w, vec, y, b, act === 'elu' ? 2 : 3);
          a.conv3dBackpropInput(dys, w, vec, dx);
          a.conv3dBackpropFilter(xs, dys, vec, dw);
          expect(relErr(y, ref.y), `${p} forward, offset ${off}`).toBeLessThan(2e-5);
          expect(relErr(dx, ref.dx), `${p} dx, offset ${off}`).toBeLessThan(2e-5);
          expect(relErr(dw, ref.dw), `${p} dw, offset ${off}`).toBeLessThan(2e-5);
          if (off === 0) results[p] = [y, dx, dw];
        }
      }
      // The paths agree with each other as closely as with the reference.
      const base = results.sse2;
      for (const p of paths.slice(1)) for (let i = 0; i < 3; i++) expect(relErr(results[p][i], base[i]), `${p} vs sse2 #${i}`).toBeLessThan(2e-5);
    });
  }

  // AVX-512's 1 -> 8 forward writes an output of more than 4 MB on a 64-byte boundary with
  // streaming stores: outputs at 16 consecutive float offsets (one of them aligned), the
  // floats around each left untouched.
  it('1 -> 8 forward with a large output: every path and output alignment matches the reference', () => {
    const g: G = { N: 2, D: 32, H: 32, W: 64, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true };
    const rng = new Rng(23);
    const { vec } = geom(g);
    const n = g.N * g.D * g.H * g.W;
    const x = randn(rng, n);
    const w = randn(rng, 27 * 8, 0.2);
    const b = randn(rng, 8, 0.5);
    const ref = reference(g, x, w, b, new Float32Array(n * 8), 'elu');
    for (const p of paths) {
      a.setSimd(p);
      for (let off = 0; off < 16; off++) {
        const buf = new Float32Array(n * 8 + 32).fill(NaN);
        const y = buf.subarray(off + 8, off + 8 + n * 8);
        a.conv3d(x, w, vec, y, b, 2);
        expect(relErr(y, ref.y), `${p} offset ${off}`).toBeLessThan(2e-5);
        for (let i = 0; i < off + 8; i++) expect(buf[i], `${p} offset ${off} before`).toBeNaN();
        for (let i = off + 8 + n * 8; i < buf.length; i++) expect(buf[i], `${p} offset ${off} after`).toBeNaN();
      }
    }
    a.setSimd('auto');
  });

  // Filter gradients sum fixed blocks of rows in block order, so the thread count does not
  // change a bit of them (before, each thread's share was one partial sum: 1 and 2 threads
  // differed in rounding). Every filter kernel: 1 -> 8 and 8 -> 1 on the unpadded input
  // (odd and even W), the register tiles for 8 -> 16, 16 -> 8, 32 -> 8 and 16 -> 32; forward and dx
  // too (rows are independent, handed out as threads come free).
  it('conv3d forward, dx and dw are bit-identical on 1 and 2 threads, on every path', () => {
    const shapes: G[] = [
      { N: 2, D: 8, H: 8, W: 64, Ci: 1, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
      { N: 2, D: 8, H: 8, W: 64, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
      { N: 2, D: 8, H: 8, W: 63, Ci: 8, Co: 1, K: [3, 3, 3], S: [1, 1, 1], same: true },
      { N: 2, D: 8, H: 8, W: 16, Ci: 8, Co: 16, K: [3, 3, 3], S: [1, 1, 1], same: true },
      { N: 2, D: 8, H: 8, W: 16, Ci: 16, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
      { N: 1, D: 8, H: 8, W: 8, Ci: 16, Co: 32, K: [3, 3, 3], S: [1, 1, 1], same: true },
      { N: 2, D: 8, H: 8, W: 13, Ci: 32, Co: 8, K: [3, 3, 3], S: [1, 1, 1], same: true },
    ];
    const threadsBefore = a.threads();
    try {
      for (const g of shapes) {
        const rng = new Rng(g.W * 17 + g.Ci);
        const { vec, out } = geom(g);
        const nIn = g.N * g.D * g.H * g.W * g.Ci;
        const nOut = g.N * out[0] * out[1] * out[2] * g.Co;
        const nW = 27 * g.Ci * g.Co;
        const x0 = randn(rng, nIn);
        const dy0 = randn(rng, nOut);
        const w = randn(rng, nW, 0.2);
        const b = randn(rng, g.Co, 0.5);
        // The 1 -> 8 and 8 -> 1 kernels on the unpadded input run on 32-byte aligned data
        // only: 8 consecutive float offsets, one of them aligned (as above).
        const direct = (g.Ci === 8 && g.Co === 1) || (g.Ci === 1 && g.Co === 8);
        for (const off of direct ? [0, 1, 2, 3, 4, 5, 6, 7] : [0]) for (const p of paths) {
          const x = at(x0, off);
          const dy = at(dy0, off);
          a.setSimd(p);
          const run = (threads: number) => {
            a.setThreads(threads);
            const y = new Float32Array(nOut);
            const dx = new Float32Array(nIn);
            const dw = new Float32Array(nW);
            a.conv3d(x, w, vec, y, b, 2);
            a.conv3dBackpropInput(dy, w, vec, dx);
            a.conv3dBackpropFilter(x, dy, vec, dw);
            return { y, dx, dw };
          };
          const one = run(1);
          const two = run(2);
          const label = `${p} ${g.Ci} -> ${g.Co}, W ${g.W}, offset ${off}`;
          expect(firstBitDiff(two.dw, one.dw), `${label} dw`).toBe(-1);
          expect(firstBitDiff(two.y, one.y), `${label} forward`).toBe(-1);
          expect(firstBitDiff(two.dx, one.dx), `${label} dx`).toBe(-1);
        }
      }
    } finally {
      a.setThreads(threadsBefore);
      a.setSimd('auto');
    }
  });

  it('the AVX2 2D kernels for few output channels run on the avx2 and avx512 paths only', () => {
    const g: G = { N: 2, D: 1, H: 8, W: 21, Ci: 3, Co: 4, K: [1, 3, 3], S: [1, 1, 1], same: true };
    const rng = new Rng(5);
    const { vec, out } = geom(g);
    const x = randn(rng, g.N * g.H * g.W * g.Ci);
    const w = randn(rng, 9 * g.Ci * g.Co, 0.3);
    const dy = randn(rng, g.N * out[1] * out[2] * g.Co);
    const ref = reference(g, x, w, new Float32Array(g.Co), dy, 'none');
    for (const p of paths) {
      a.setSimd(p);
      const y = new Float32Array(ref.y.length);
      const dx = new Float32Array(x.length);
      const dw = new Float32Array(w.length);
      const handled = [a.conv2dSmall(x, w, vec, y, null, 0), a.conv2dSmallDx(dy, w, vec, dx), a.conv2dSmallDw(x, dy, vec, dw)];
      expect(handled, p).toEqual(p === 'sse2' ? [false, false, false] : [true, true, true]);
      if (p !== 'sse2') {
        expect(relErr(y, ref.y), `${p} forward`).toBeLessThan(2e-5);
        expect(relErr(dx, ref.dx), `${p} dx`).toBeLessThan(2e-5);
        expect(relErr(dw, ref.dw), `${p} dw`).toBeLessThan(2e-5);
      }
    }
    a.setSimd('auto');
  });

  it('the 2x2 max-pool gradient follows the selected path (sse2 too) and matches the reference', () => {
    // Disjoint 2x2 windows (the row kernel that used to be a target_clones pick
    // by CPU); ties (equal values) send the gradient to the first maximum.
    const [N, H, W, C] = [2, 6, 10, 24];
    const [OH, OW] = [H / 2, W / 2];
    const rng = new Rng(17);
    const x = Float32Array.from(randn(rng, N * H * W * C), (v, i) => (i % 7 === 0 ? 0.5 : Math.round(v * 2) / 2));
    const dy = randn(rng, N * OH * OW * C);
    const want = new Float32Array(x.length);
    for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
      let best = -Infinity;
      let at = -1;
      for (let kh = 0; kh < 2; kh++) for (let kw = 0; kw < 2; kw++) {
        const i = ((n * H + 2 * oh + kh) * W + 2 * ow + kw) * C + c;
        if (x[i] > best) { best = x[i]; at = i; }
      }
      want[at] += dy[((n * OH + oh) * OW + ow) * C + c];
    }
    const geom = Int32Array.from([N, H, W, C, 2, 2, 2, 2, OH, OW, 0, 0]);
    for (const p of paths) {
      expect(a.setSimd(p)).toBe(p);
      expect(a.simd()).toBe(p);
      const dx = new Float32Array(x.length).fill(NaN);
      a.maxPool2dGrad(dy, x, geom, dx);
      expect(Array.from(dx), p).toEqual(Array.from(want));
    }
    a.setSimd('auto');
  });

  it('ELU and its gradient agree on every path', () => {
    const rng = new Rng(9);
    const x = randn(rng, 1000, 3);
    const dy = randn(rng, 1000);
    const want = Float64Array.from(x, (v) => (v >= 0 ? v : Math.expm1(v)));
    for (const p of paths) {
      a.setSimd(p);
      const y = new Float32Array(x.length);
      a.elu(x, y, x.length);
      expect(relErr(y, want), p).toBeLessThan(1e-6);
      const dx = new Float32Array(x.length);
      a.eluGrad(dy, y, dx, x.length);
      expect(relErr(dx, Float64Array.from(dy, (d, i) => (y[i] >= 0 ? d : d * (y[i] + 1)))), p).toBeLessThan(1e-6);
    }
    a.setSimd('auto');
  });

  it('measures a positive arithmetic peak for the path in use, wider paths higher', () => {
    const rates = paths.map((p) => { a.setSimd(p); return a.peakGflops(30).perThread; });
    for (const r of rates) expect(r).toBeGreaterThan(0);
    a.setSimd('auto');
  });
});

const objdump = spawnSync('objdump', ['--version']).status === 0;
describe.skipIf(!addon || !objdump || !path || !existsSync(path))('baseline code of the addon', () => {
  it('uses AVX instructions only inside the run-time-selected avx2/avx512 paths', () => {
    const res = findBaselineViolations(path) as { error?: string; bad: { name: string; count: number }[] };
    expect(res.error).toBeUndefined();
    expect(res.bad.map((b) => b.name)).toEqual([]);
  });
});
