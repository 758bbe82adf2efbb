// Kernel benchmark: transmri's native kernels vs PyTorch (and tfjs' pure-JS
// kernels for the small case) on the paper's CAE. Each measurement runs in
// its own child process (so peak RSS is per train step), same thread count.
// Then the instruction-set paths side by side (bench/kernels/isa.ts): per
// layer and for the whole train step, each path's time and its fraction of
// that path's measured FMA peak, alternating the paths within one process.
// Usage: npm run bench -- [--reps 5] [--warmup 2] [--threads 2] [--no-tfjs] [--only a]
//          [--paths avx2,avx512] [--isa-only] [--no-isa]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from '../lib/child.js';
import { CAE_LAYERS, SHAPES, type BenchShape } from './cae.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const reps = Number(opt('reps', '5'));
const warmup = Number(opt('warmup', '2'));
const threads = Number(opt('threads', '2'));
const withTfjs = !argv.includes('--no-tfjs');
const only = opt('only', 'a,b').split(',');
const isaOnly = argv.includes('--isa-only');
const withIsa = !argv.includes('--no-isa');
const isaPaths = opt('paths', 'avx2,avx512');
const env = { ...process.env, BENCH_THREADS: String(threads), TRANSMRI_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };

/** Pure-JS tfjs layers timed for shape (a): forward of all, gradients of the two cheapest (the others take minutes each). */
const TFJS_GRAD_LAYERS = ['enc4', 'dec1'];

const runJson = (cmd: string, args: string[]) => runJsonChild(cmd, args, root, env);
const tsx = (script: string, ...args: string[]) => runJson(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(here, script), ...args]);
const python = ['/usr/bin/python3', 'python3'].find((p) => p === 'python3' || existsSync(p)) ?? 'python3';
const torchOk = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!torchOk) console.log(`PyTorch not importable by ${python}: PyTorch columns skipped (apt-get install python3-torch)`);
const torch = (...args: string[]) => (torchOk ? runJson(python, [join(here, 'pytorch_ref.py'), ...args]) : undefined);

const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0].speed);
// Until a native child reports its path's measured peak: AVX2 (8 lanes, 2 FMA units) at the nominal clock.
let peakGflops = threads * 8 * 2 * 2 * (mhz / 1000);
let peakSource = `${threads} cores x 8 lanes x 2 FMA units x 2 flops at the nominal clock`;
let simdInUse = 'unknown';

interface Rec { name: string; ours_ms: number | null; pytorch_ms: number | null; ratio: number | null; tfjs_ms?: number | null;
  ours_gflops?: number; pytorch_gflops?: number | null; ours_pct_peak?: number; ours_rss_mb?: number; pytorch_rss_mb?: number | null }
const records: Rec[] = [];
const num = (v: unknown) => (typeof v === 'number' ? v : null);
const ratio = (a: number | null, b: number | null) => (a !== null && b !== null ? a / b : null);

function layerRecords(shape: BenchShape) {
  console.log(`\n[${shape.key}] single layers: native ...`);
  const ours = tsx('layers.ts', 'native', shape.key, String(reps), String(warmup)) ?? {};
  if (typeof ours.simd === 'string' && typeof ours.peakPerThread === 'number') {
    simdInUse = ours.simd;
    peakGflops = threads * ours.peakPerThread;
    peakSource = `${threads} threads x ${ours.peakPerThread.toFixed(0)} GFLOP/s, the measured FMA peak of the ${ours.simd} path`;
  }
  console.log(`[${shape.key}] single layers: PyTorch ...`);
  const pt = torch('layers', shape.key, String(threads), String(reps), String(warmup)) ?? {};
  let js: Record<string, number | string> = {};
  if (withTfjs && shape.key === 'a') {
    console.log('[a] single layers: tfjs pure-JS (1 run each, no warm-up; gradients only for ' + TFJS_GRAD_LAYERS.join(', ') + ') ...');
    js = { ...(tsx('layers.ts', 'tfjs', 'a', '1', '0', 'all', 'fwd') ?? {}), ...(tsx('layers.ts', 'tfjs', 'a', '1', '0', TFJS_GRAD_LAYERS.join(','), 'dx,dw') ?? {}) };
  }
  for (const l of CAE_LAYERS) {
    const voxels = shape.batch * shape.size.reduce((p, v) => p * v, 1) / l.scale ** 3;
    const gflop = (2 * voxels * 27 * l.ci * l.co) / 1e9;
    for (const part of ['fwd', 'dx', 'dw']) {
      const key = `${l.name}.${part}`;
      const o = num(ours[key]);
      const p = num(pt[key]);
      records.push({
        name: `${shape.key}/${l.name}/${part}`, ours_ms: o, pytorch_ms: p, ratio: ratio(o, p),
        tfjs_ms: shape.key === 'a' ? num(js[key]) : undefined,
        ours_gflops: o !== null ? gflop / (o / 1000) : undefined, pytorch_gflops: p !== null ? gflop / (p / 1000) : null,
        ours_pct_peak: o !== null ? (100 * gflop) / (o / 1000) / peakGflops : undefined,
      });
    }
  }
  for (const part of ['fwd', 'dx', 'dw']) {
    const rows = records.filter((r) => r.name.startsWith(`${shape.key}/`) && r.name.endsWith(`/${part}`) && !r.name.includes('/cae/'));
    const o = rows.every((r) => r.ours_ms !== null) ? rows.reduce((s, r) => s + (r.ours_ms ?? 0), 0) : null;
    const p = rows.every((r) => r.pytorch_ms !== null) ? rows.reduce((s, r) => s + (r.pytorch_ms ?? 0), 0) : null;
    records.push({ name: `${shape.key}/all_convs/${part}`, ours_ms: o, pytorch_ms: p, ratio: ratio(o, p) });
  }
}

function trainRecords(shape: BenchShape) {
  console.log(`[${shape.key}] whole CAE: native ...`);
  const ours = tsx('train-step.ts', 'native', shape.key, String(reps), String(warmup)) ?? {};
  console.log(`[${shape.key}] whole CAE: PyTorch ...`);
  const pt = torch('train', shape.key, String(threads), String(reps), String(warmup)) ?? {};
  for (const part of ['fwd', 'step']) {
    const o = num(ours[part]);
    const p = num(pt[part]);
    records.push({ name: `${shape.key}/cae/${part === 'step' ? 'train_step' : 'forward'}`, ours_ms: o, pytorch_ms: p, ratio: ratio(o, p),
      ours_rss_mb: num(ours.peakRssMB) ?? undefined, pytorch_rss_mb: num(pt.peakRssMB) });
  }
}

/** Thick layers: 16-32 channels in and out (the ones oneDNN is strong on). */
const THICK = ['enc3', 'enc4', 'dec1', 'dec2'];
interface IsaRec { name: string; path: string; wall_ms: number | null; cpu_ms: number | null; gflops_per_cpu_s?: number; pct_peak?: number }

/** The paths side by side on shape `key` (one child process, paths alternating). */
function isaRecords(shape: BenchShape): { records: IsaRec[]; info: Record<string, number | string> } {
  console.log(`[${shape.key}] instruction-set paths ${isaPaths} side by side (layers, then train step) ...`);
  const r = tsx('isa.ts', shape.key, String(reps), String(warmup), isaPaths) ?? {};
  const paths = String(r.paths ?? '').split(',').filter(Boolean);
  const out: IsaRec[] = [];
  for (const p of paths) {
    const peak = num(r[`${p}/peakPerThread`]);
    for (const l of CAE_LAYERS) {
      const voxels = shape.batch * shape.size.reduce((q, v) => q * v, 1) / l.scale ** 3;
      const gflop = (2 * voxels * 27 * l.ci * l.co) / 1e9;
      for (const part of ['fwd', 'dx', 'dw']) {
        const cpu = num(r[`${p}/${l.name}.${part}.cpu`]);
        const rate = cpu !== null && cpu > 0 ? gflop / (cpu / 1000) : undefined;
        out.push({ name: `${shape.key}/${l.name}/${part}`, path: p, wall_ms: num(r[`${p}/${l.name}.${part}.wall`]), cpu_ms: cpu,
          gflops_per_cpu_s: rate, pct_peak: rate !== undefined && peak ? (100 * rate) / peak : undefined });
      }
    }
    out.push({ name: `${shape.key}/cae/train_step`, path: p, wall_ms: num(r[`${p}/step.wall`]), cpu_ms: num(r[`${p}/step.cpu`]) });
  }
  return { records: out, info: r };
}

const load0 = loadavg();
const isaResults: { shape: string; records: IsaRec[]; info: Record<string, number | string> }[] = [];
for (const shape of SHAPES.filter((s) => only.includes(s.key))) {
  if (!isaOnly) {
    layerRecords(shape);
    trainRecords(shape);
  }
  if (withIsa) isaResults.push({ shape: shape.key, ...isaRecords(shape) });
}
const load1 = loadavg();

const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '–' : v.toFixed(d));
if (!isaOnly) console.log(`\nnative kernels: ${simdInUse} path; threads ${threads}; CPU ${cpus()[0].model} @ ${(mhz / 1000).toFixed(2)} GHz nominal; peak ${peakGflops.toFixed(0)} GFLOP/s (${peakSource})`);
console.log(`\nload average at start ${load0.map((v) => v.toFixed(1)).join(' ')}, at end ${load1.map((v) => v.toFixed(1)).join(' ')}; median of ${reps} after ${warmup} warm-up`);
if (!isaOnly) console.log(['case'.padEnd(22), 'ours ms', 'PyTorch ms', 'ours/PT', 'tfjs ms', 'ours GF/s', '% peak', 'PT GF/s', 'RSS ours/PT MB'].map((s, i) => (i ? s.padStart(11) : s)).join(''));
for (const r of records) {
  const rss = r.ours_rss_mb !== undefined ? `${f(r.ours_rss_mb, 0)}/${f(r.pytorch_rss_mb, 0)}` : '';
  console.log([r.name.padEnd(22), f(r.ours_ms), f(r.pytorch_ms), f(r.ratio, 2), f(r.tfjs_ms, 0), f(r.ours_gflops), f(r.ours_pct_peak, 0), f(r.pytorch_gflops), rss]
    .map((s, i) => (i ? String(s).padStart(11) : s)).join(''));
}
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
for (const res of isaResults) {
  const info = res.info;
  const paths = String(info.paths ?? '').split(',').filter(Boolean);
  if (paths.length === 0) continue;
  console.log(`\n[${res.shape}] instruction-set paths: the addon uses ${info.auto} (this CPU runs ${info.supported}); ${info.threads} threads; paths alternate in one process`);
  console.log(`measured FMA peak per thread (GFLOP/s per CPU-second): ${paths.map((p) => `${p} ${f(num(info[`${p}/peakPerThread`]), 0)}`).join(', ')}`);
  console.log('% peak = GFLOP per process-CPU-second / that path\'s measured per-thread peak (robust to load; wall ms shown too)');
  console.log(['case'.padEnd(22), ...paths.flatMap((p) => [`${p} ms`, `${p} cpu`, `${p} %pk`])].map((s, i) => (i ? s.padStart(12) : s)).join(''));
  const names = [...new Set(res.records.map((r) => r.name))];
  for (const name of names) {
    const cells = paths.flatMap((p) => {
      const r = res.records.find((q) => q.name === name && q.path === p);
      return [f(r?.wall_ms), f(r?.cpu_ms), f(r?.pct_peak, 0)];
    });
    console.log([name.padEnd(22), ...cells].map((s, i) => (i ? String(s).padStart(12) : s)).join(''));
  }
  for (const p of paths) {
    const thick = res.records.filter((r) => r.path === p && THICK.some((t) => r.name.includes(`/${t}/`)));
    const pct = thick.map((r) => r.pct_peak ?? NaN);
    console.log(`${p}: thick layers (${THICK.join(', ')}; fwd, dx, dw) at ${f(Math.min(...pct), 0)}-${f(Math.max(...pct), 0)} % of the ${p} peak (mean ${f(pct.reduce((a, b) => a + b, 0) / pct.length, 0)} %)`);
  }
  const step = (p: string, k: 'wall_ms' | 'cpu_ms') => res.records.find((r) => r.name.endsWith('/cae/train_step') && r.path === p)?.[k] ?? null;
  if (paths.includes('avx2') && paths.includes('avx512')) {
    console.log(`CAE train step avx512 / avx2: wall ${f(ratio(step('avx512', 'wall_ms'), step('avx2', 'wall_ms')), 2)} (${f(step('avx512', 'wall_ms'), 0)} vs ${f(step('avx2', 'wall_ms'), 0)} ms), ` +
      `CPU time ${f(ratio(step('avx512', 'cpu_ms'), step('avx2', 'cpu_ms')), 2)} (${f(step('avx512', 'cpu_ms'), 0)} vs ${f(step('avx2', 'cpu_ms'), 0)} ms)`);
  }
}
if (isaResults.length > 0) {
  writeFileSync(join(root, 'bench', 'results', `kernels-isa-${threads}t.json`), JSON.stringify({
    date: new Date().toISOString(), threads, reps, warmup, cpu: cpus()[0].model, loadavgStart: load0, loadavgEnd: load1,
    note: 'paths alternate within one process per repetition; pct_peak = GFLOP per process-CPU-second / the path\'s measured per-thread FMA peak',
    shapes: isaResults,
  }, null, 2) + '\n');
  console.log(`wrote bench/results/kernels-isa-${threads}t.json`);
}
if (isaOnly) process.exit(0);
writeFileSync(join(root, 'bench', 'results', 'kernels.json'), JSON.stringify({
  date: new Date().toISOString(), threads, reps, warmup, cpu: cpus()[0].model, ghz: mhz / 1000, simd: simdInUse, peakGflops, peakSource,
  loadavgStart: load0, loadavgEnd: load1, records,
}, null, 2) + '\n');
console.log('\nwrote bench/results/kernels.json');
