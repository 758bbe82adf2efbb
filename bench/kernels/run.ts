// Kernel benchmark: transmri's native kernels vs PyTorch (and tfjs' pure-JS
// kernels for the small case) on the paper's CAE. Each measurement runs in
// its own child process (so peak RSS is per train step), same thread count.
// Usage: npm run bench -- [--reps 5] [--warmup 2] [--threads 2] [--no-tfjs] [--only a]
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
const peakGflops = threads * 8 * 2 * 2 * (mhz / 1000);

interface Rec { name: string; ours_ms: number | null; pytorch_ms: number | null; ratio: number | null; tfjs_ms?: number | null;
  ours_gflops?: number; pytorch_gflops?: number | null; ours_pct_peak?: number; ours_rss_mb?: number; pytorch_rss_mb?: number | null }
const records: Rec[] = [];
const num = (v: unknown) => (typeof v === 'number' ? v : null);
const ratio = (a: number | null, b: number | null) => (a !== null && b !== null ? a / b : null);

function layerRecords(shape: BenchShape) {
  console.log(`\n[${shape.key}] single layers: native ...`);
  const ours = tsx('layers.ts', 'native', shape.key, String(reps), String(warmup)) ?? {};
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

const load0 = loadavg();
for (const shape of SHAPES.filter((s) => only.includes(s.key))) {
  layerRecords(shape);
  trainRecords(shape);
}
const load1 = loadavg();

const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? '–' : v.toFixed(d));
console.log(`\nthreads ${threads}; CPU ${cpus()[0].model} @ ${(mhz / 1000).toFixed(2)} GHz; peak ${peakGflops.toFixed(0)} GFLOP/s (${threads} cores x 8 lanes x 2 FMA units x 2 flops)`);
console.log(`load average at start ${load0.map((v) => v.toFixed(1)).join(' ')}, at end ${load1.map((v) => v.toFixed(1)).join(' ')}; median of ${reps} after ${warmup} warm-up`);
console.log(['case'.padEnd(22), 'ours ms', 'PyTorch ms', 'ours/PT', 'tfjs ms', 'ours GF/s', '% peak', 'PT GF/s', 'RSS ours/PT MB'].map((s, i) => (i ? s.padStart(11) : s)).join(''));
for (const r of records) {
  const rss = r.ours_rss_mb !== undefined ? `${f(r.ours_rss_mb, 0)}/${f(r.pytorch_rss_mb, 0)}` : '';
  console.log([r.name.padEnd(22), f(r.ours_ms), f(r.pytorch_ms), f(r.ratio, 2), f(r.tfjs_ms, 0), f(r.ours_gflops), f(r.ours_pct_peak, 0), f(r.pytorch_gflops), rss]
    .map((s, i) => (i ? String(s).padStart(11) : s)).join(''));
}
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'kernels.json'), JSON.stringify({
  date: new Date().toISOString(), threads, reps, warmup, cpu: cpus()[0].model, ghz: mhz / 1000, peakGflops,
  loadavgStart: load0, loadavgEnd: load1, records,
}, null, 2) + '\n');
console.log('\nwrote bench/results/kernels.json');
