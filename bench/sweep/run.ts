/**
 * Sweep bench: 12 short CPU-bound jobs (about `--jobSeconds` each on a quiet core) on 1 and 2 local
 * worker processes and on 2 BullMQ workers (`transmri worker` processes against a redis-server
 * started here on a free loopback port, started once before the rounds). `--rounds` rounds alternate
 * the three configurations, so that a change in the machine's load hits them alike.
 * Per configuration: wall time, the first job's start (worker processes starting), the jobs' wall and
 * CPU time (wall/CPU > 1: a job waited for a core), the overhead per job ((workers · wall − Σ job
 * seconds) / jobs; also without the start-up) and the busy fraction (Σ job seconds / (workers · wall)).
 * Per round: the scaling efficiency of 2 workers T1 / (2 · T2), split exactly into the machinery's factor
 * (busy2 / busy1: idle workers) and the job-time factor (mean job time alone / two at a time: 1 when the
 * 2 workers have the 2 cores to themselves, lower when other processes take cores).
 * Goals: overhead < 0.5 s per job, efficiency ≥ 0.85 with 2 workers on 2 cores (on a quiet machine).
 * Writes bench/results/sweep.json.
 * Usage: npm run bench:sweep [-- --jobSeconds 1.5 --rounds 3]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSweep, type RunSweepOptions } from '../../src/index.js';
import { Redis } from 'ioredis';
import { spin } from './spin-job.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const JOBS = 12;
const jobSeconds = arg('jobSeconds', 1.5);
const ROUNDS = arg('rounds', 3);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'transmri-bench-sweep-'));

// calibrate: iterations for `jobSeconds` of work in this process, after the loop is optimised (JIT warm-up)
for (let i = 0; i < 3; i++) spin(2_000_000, i);
let n = 20_000_000;
const t0 = performance.now();
spin(n, 0);
const rate = n / ((performance.now() - t0) / 1000);
n = Math.round(rate * jobSeconds);

const module = path.join(here, 'spin-job.ts');
const config = (name: string) => ({ name, experiment: { module }, settings: { list: [{ iterations: n }] }, seeds: JOBS, out: path.join(tmp, name), codeVersion: `bench-${Date.now()}` });

/** Runs one configuration; `startup` = seconds until the first job started (worker processes starting). */
async function measure(label: string, workers: number, name: string, options: RunSweepOptions) {
  const t0 = performance.now();
  let startup: number | undefined;
  const r = await runSweep(config(name), { ...options, report: false, onProgress: (p) => { if (startup === undefined && p.running > 0) startup = (performance.now() - t0) / 1000; } });
  const jobSum = r.records.reduce((s, x) => s + x.seconds, 0);
  const cpuSum = r.records.reduce((s, x) => s + Number(x.results?.cpuSeconds ?? NaN), 0);
  const overhead = (workers * r.seconds - jobSum) / JOBS;
  const steady = (workers * (r.seconds - (startup ?? 0)) - jobSum) / JOBS;
  // busy fraction: how much of the workers' wall time went into jobs (1 = no idle worker, whatever the machine's load)
  const busy = jobSum / (workers * r.seconds);
  // stretch: a job's wall time over its CPU time (1 = it had a core to itself; > 1 = it waited for a core)
  const stretch = jobSum / cpuSum;
  console.log(`${label.padEnd(22)} wall ${r.seconds.toFixed(2)} s (first job after ${(startup ?? 0).toFixed(2)} s), jobs ${(jobSum / JOBS).toFixed(2)} s each (wall/CPU ${stretch.toFixed(2)}), overhead ${overhead.toFixed(3)} s/job (${steady.toFixed(3)} s/job after start-up), busy ${busy.toFixed(2)}`);
  return { workers, wallSeconds: r.seconds, startupSeconds: startup, meanJobSeconds: jobSum / JOBS, meanJobCpuSeconds: cpuSum / JOBS, jobWallOverCpu: stretch, overheadSecondsPerJob: overhead, overheadAfterStartupSecondsPerJob: steady, busyFraction: busy };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 900; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

const loadAverageAtStart = os.loadavg();
console.log(`sweep bench: ${JOBS} jobs of ${n.toLocaleString()} iterations (~${jobSeconds} s each here), ${ROUNDS} round(s), ${os.availableParallelism()} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

// the BullMQ workers (and their job processes) start once, before the rounds: as on a cluster, where they wait for sweeps
const procs: ChildProcess[] = [];
let url: string | undefined;
if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) {
  const port = await freePort();
  url = `redis://127.0.0.1:${port}`;
  procs.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  await until(async () => {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } finally {
      c.disconnect();
    }
  }, 'redis-server');
  const bin = path.join(here, '..', '..', 'bin', 'transmri.js');
  const outputs: string[] = [];
  for (const name of ['b1', 'b2']) {
    const p = spawn(process.execPath, [bin, 'worker', '--queue', url, '--name', name, '--threads', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const i = outputs.push('') - 1;
    p.stdout!.on('data', (d: Buffer) => (outputs[i] += d.toString()));
    procs.push(p);
  }
  await until(async () => outputs.every((o) => o.includes('waiting for jobs')), 'the 2 workers');
} else {
  console.log('redis-server not found: BullMQ row skipped (apt-get install redis-server)');
}

// rounds alternate the configurations, so that a change in the machine's load meanwhile hits all of them alike
type Row = Awaited<ReturnType<typeof measure>>;
type Split = { machinery: number; jobTimes: number };
const rounds: Array<{ loadAverageAtStart: number[]; local1: Row; local2: Row; queue2?: Row; efficiencyLocal2: number; efficiencyQueue2?: number; splitLocal2: Split; splitQueue2?: Split }> = [];
for (let round = 1; round <= ROUNDS; round++) {
  const loadAtStart = os.loadavg();
  console.log(`round ${round} (load ${loadAtStart[0].toFixed(1)})`);
  const local1 = await measure('local pool, 1 worker', 1, `local-1-r${round}`, { workers: 1 });
  const local2 = await measure('local pool, 2 workers', 2, `local-2-r${round}`, { workers: 2 });
  const queue2 = url === undefined ? undefined : await measure('BullMQ, 2 workers', 2, `queue-2-r${round}`, { queue: url, pollMs: 100 });
  const efficiencyLocal2 = local1.wallSeconds / (2 * local2.wallSeconds);
  const efficiencyQueue2 = queue2 === undefined ? undefined : local1.wallSeconds / (2 * queue2.wallSeconds);
  // efficiency = (busy2 / busy1) × (Σ job s with 1 worker / Σ job s with 2): the sweep machinery's share (idle
  // workers: start-up, hand-over, the last jobs' tail) times the machine's (jobs slowed by other processes; 1 when
  // the 2 workers have the 2 cores to themselves)
  const split = (two: Row) => ({ machinery: two.busyFraction / local1.busyFraction, jobTimes: local1.meanJobSeconds / two.meanJobSeconds });
  const splitLocal2 = split(local2);
  const splitQueue2 = queue2 === undefined ? undefined : split(queue2);
  console.log(`  efficiency with 2 workers: local ${efficiencyLocal2.toFixed(2)} = machinery ${splitLocal2.machinery.toFixed(2)} x job times ${splitLocal2.jobTimes.toFixed(2)}${splitQueue2 === undefined ? '' : `; BullMQ ${efficiencyQueue2!.toFixed(2)} = machinery ${splitQueue2.machinery.toFixed(2)} x job times ${splitQueue2.jobTimes.toFixed(2)}`}`);
  rounds.push({ loadAverageAtStart: loadAtStart, local1, local2, queue2, efficiencyLocal2, efficiencyQueue2, splitLocal2, splitQueue2 });
}
// workers first (each finishes and disconnects), then the server
for (const p of procs.slice(1)) p.kill('SIGTERM');
await Promise.all(procs.slice(1).map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
procs[0]?.kill('SIGTERM');
if (procs[0] !== undefined && procs[0].exitCode === null) await new Promise((r) => procs[0].once('exit', r));
rmSync(tmp, { recursive: true, force: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const eLocal = rounds.map((r) => r.efficiencyLocal2);
const eQueue = rounds.flatMap((r) => (r.efficiencyQueue2 === undefined ? [] : [r.efficiencyQueue2]));
const mLocal = rounds.map((r) => r.splitLocal2.machinery);
const mQueue = rounds.flatMap((r) => (r.splitQueue2 === undefined ? [] : [r.splitQueue2.machinery]));
const overheads = rounds.flatMap((r) => [r.local1, r.local2, ...(r.queue2 ? [r.queue2] : [])].map((x) => x.overheadSecondsPerJob));
console.log(`scaling efficiency with 2 workers, median of ${ROUNDS} round(s): local ${median(eLocal).toFixed(2)} (${eLocal.map((e) => e.toFixed(2)).join(', ')})${eQueue.length ? `, BullMQ ${median(eQueue).toFixed(2)} (${eQueue.map((e) => e.toFixed(2)).join(', ')})` : ''} (goal >= 0.85 on a quiet machine); machinery factor local ${median(mLocal).toFixed(2)}${mQueue.length ? `, BullMQ ${median(mQueue).toFixed(2)}` : ''}; overhead per job at most ${Math.max(...overheads).toFixed(3)} s (goal < 0.5 s)`);
const result = {
  date: new Date().toISOString(),
  cores: os.availableParallelism(),
  loadAverageAtStart,
  loadAverageAtEnd: os.loadavg(),
  jobs: JOBS,
  iterations: n,
  rounds,
  medianEfficiencyLocal2: median(eLocal),
  medianEfficiencyQueue2: eQueue.length ? median(eQueue) : undefined,
  medianMachineryFactorLocal2: median(mLocal),
  medianMachineryFactorQueue2: mQueue.length ? median(mQueue) : undefined,
  maxOverheadSecondsPerJob: Math.max(...overheads),
};
writeFileSync(path.join(here, '..', 'results', 'sweep.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`written bench/results/sweep.json`);
