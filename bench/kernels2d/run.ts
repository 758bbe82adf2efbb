// 2D benchmark: one train step (batch 16, 128x128x3, Adam) of the 12.6k-parameter edge student and
// of the BN teacher CNN (widths 32/64/128/192) on transmri's native kernels vs the same models in
// PyTorch, each in its own child process with the same thread count. Writes bench/results/kernels2d.json.
// Usage: npm run bench:2d -- [--reps 10] [--warmup 3] [--threads 2]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from '../lib/child.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const reps = opt('reps', '10');
const warmup = opt('warmup', '3');
const threads = opt('threads', '2');
// Both sides sleep between OpenMP regions (transmri's default; PyTorch's libgomp spins otherwise, which on a
// loaded machine slows it as much as it slowed us).
const env = { ...process.env, TRANSMRI_THREADS: threads, OMP_NUM_THREADS: threads, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'passive' };

const runJson = (cmd: string, args: string[]) => runJsonChild(cmd, args, root, env);
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const torchOk = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!torchOk) console.log(`PyTorch not importable by ${python}: PyTorch columns skipped`);

const rows: Record<string, unknown>[] = [];
const load0 = loadavg()[0];
for (const model of ['edge', 'teacher']) {
  const ours = runJson(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(here, 'step.ts'), model, reps, warmup]);
  const torch = torchOk ? runJson(python, [join(here, 'pytorch_ref.py'), model, threads, reps, warmup]) : undefined;
  const row = {
    model,
    transmriMedianMs: ours?.medianMs, transmriMinMs: ours?.minMs,
    pytorchMedianMs: torch?.medianMs, pytorchMinMs: torch?.minMs,
    ratioMedian: ours && torch ? Number(ours.medianMs) / Number(torch.medianMs) : undefined,
    transmriImagesPerS: ours ? 16000 / Number(ours.medianMs) : undefined,
    pytorchImagesPerS: torch ? 16000 / Number(torch.medianMs) : undefined,
  };
  rows.push(row);
  const f = (v: unknown) => (typeof v === 'number' ? v.toFixed(1) : '–');
  console.log(`${model.padEnd(8)} transmri ${f(row.transmriMedianMs)} ms (min ${f(row.transmriMinMs)}), PyTorch ${f(row.pytorchMedianMs)} ms (min ${f(row.pytorchMinMs)}), ratio ${f(row.ratioMedian)}; ${f(row.transmriImagesPerS)} vs ${f(row.pytorchImagesPerS)} images/s`);
}
const out = join(root, 'bench', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'kernels2d.json'), JSON.stringify({
  what: 'one train step (forward, cross-entropy, backward, Adam), batch 16, 128x128x3; edge student (12,628 params) and BN teacher CNN (widths 32/64/128/192)',
  threads: Number(threads), reps: Number(reps), warmup: Number(warmup), cpu: cpus()[0]?.model, loadavgBefore: load0, loadavgAfter: loadavg()[0],
  date: new Date().toISOString(), rows,
}, null, 1) + '\n');
console.log(`wrote bench/results/kernels2d.json (load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)})`);
