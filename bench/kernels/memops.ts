// The CAE 4×64³ train step's memory-bound native kernels in isolation, at the
// step's shapes: activation gradient (+ bias sums), max pooling and its gradient,
// nearest upsampling and its gradient. One process alternates the SIMD paths
// every repetition (so load hits them alike) and prints median CPU ms per call.
// Not part of `npm run bench`; a tool for the non-convolution kernels.
// Usage: tsx bench/kernels/memops.ts [reps=15] [paths=avx2,avx512] [filter]
import { loadAddon } from '../../src/backend/native/register.js';
import { ACT, type NativeAddon, type SimdPath } from '../../src/backend/native/addon.js';
import { median } from './timing.js';
import { Rng } from '../../src/backend/rng.js';

const [repsArg, pathsArg, filter] = process.argv.slice(2);
const reps = Number(repsArg ?? 15);
const paths = (pathsArg ?? 'avx2,avx512').split(',') as SimdPath[];
const { addon: loaded, reason } = loadAddon();
if (loaded === undefined) throw new Error(reason);
const addon = loaded as NativeAddon;
addon.setThreads(1);

// Buffers from the addon's pool (64-byte aligned, as the kernels' outputs in a train step).
const rng = new Rng(1);
const zeros = (n: number) => addon.alloc(n).fill(0);
const rand = (n: number) => {
  const a = addon.alloc(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
};
const pool = (N: number, S: number, C: number) =>
  Int32Array.from([N, S, S, S, C, C, 2, 2, 2, 2, 2, 2, S / 2, S / 2, S / 2, 0, 0, 0]);

/** A case's buffers are made only when the filter selects it. */
interface Case { name: string; make: () => () => void }
const cases: Case[] = [];
// conv outputs of the step (activation gradient): [size, channels, act]
for (const [S, C, act] of [[64, 8, ACT.elu], [32, 16, ACT.elu], [16, 32, ACT.elu], [64, 1, ACT.sigmoid], [32, 8, ACT.elu]] as const) {
  const n = 4 * S ** 3 * C;
  const bufs = () => ({ dy: rand(n), y: rand(n), dx: zeros(n), db: zeros(C) });
  cases.push({ name: `actGrad ${S}^3x${C} act ${act}`, make: () => { const b = bufs(); return () => addon.actGrad(act, b.dy, b.y, b.dx, n); } });
  if (typeof (addon as unknown as Record<string, unknown>).actGradBias === 'function') {
    cases.push({ name: `actGradBias ${S}^3x${C} act ${act}`, make: () => { const b = bufs(); return () => addon.actGradBias(act, b.dy, b.y, b.dx, n / C, C, b.db); } });
  }
  cases.push({ name: `sumLeading ${S}^3x${C}`, make: () => { const b = bufs(); return () => addon.sumLeading(b.dy, n / C, C, b.db); } });
}
for (const [S, C] of [[64, 8], [32, 16], [16, 32]] as const) {
  const n = 4 * S ** 3 * C, m = n / 8;
  const g = pool(4, S, C);
  cases.push({ name: `maxPool3d ${S}^3x${C}`, make: () => { const x = rand(n), out = zeros(m); return () => addon.maxPool3d(x, g, out); } });
  cases.push({ name: `maxPool3dGrad ${S}^3x${C}`, make: () => { const x = rand(n), dy = rand(m), dx = zeros(n); return () => addon.maxPool3dGrad(dy, x, g, dx); } });
}
for (const [S, C] of [[8, 32], [16, 16], [32, 8]] as const) {
  const n = 4 * S ** 3 * C;
  const p = Int32Array.from([4, S, S, S, C, 2, 2, 2]);
  cases.push({ name: `upsample ${S}^3x${C}`, make: () => { const x = rand(n), out = zeros(n * 8); return () => addon.upsample3dNearest(x, p, out); } });
  cases.push({ name: `upsampleGrad ${S}^3x${C}`, make: () => { const dy = rand(n * 8), dx = zeros(n); return () => addon.upsample3dNearestGrad(dy, p, dx); } });
}

const cpuMs = (fn: () => void) => {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
console.log(`median CPU ms per call of ${reps}, 1 thread; paths ${paths.join(', ')}`);
for (const c of cases.filter((k) => filter === undefined || k.name.includes(filter))) {
  const run = c.make();
  const t = new Map<SimdPath, number[]>(paths.map((p) => [p, []]));
  for (let i = 0; i < reps + 2; i++) {
    for (const p of paths) {
      addon.setSimd(p);
      const ms = cpuMs(run);
      if (i >= 2) t.get(p)?.push(ms);
    }
  }
  console.log(`${c.name.padEnd(30)} ${paths.map((p) => `${p} ${median(t.get(p) ?? []).toFixed(2).padStart(6)}`).join('  ')}`);
}
