/**
 * The embedded default: a pool of local worker processes (child.ts) fed over IPC, each with its own
 * thread count (TRANSMRI_THREADS) so that they do not oversubscribe the cores. A job that throws is
 * retried up to `attempts` tries, then recorded as failed; a job whose process dies is given to a
 * new process up to `maxStalls` times (as BullMQ does with stalled jobs).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OptionError } from '../backend/errors.js';
import { isTypeScriptModule, resolveExperimentModule } from './experiments.js';
import type { SweepJobSpec } from './jobs.js';
import { failedRecord, type SweepJobRecord } from './run-job.js';

/** Parent → child. */
export type ParentMessage = { type: 'run'; job: SweepJobSpec; attempt: number; threads: number; worker: string };
/** Child → parent. */
export type ChildMessage = { type: 'ready' } | { type: 'log'; line: string } | { type: 'done'; record: SweepJobRecord } | { type: 'error'; key: string; error: { name: string; message: string; stack?: string } };

/** How jobs are handed to an executor and how it reports back. */
export interface ExecutorHooks {
  /** A job started on a worker. */
  onStart: (key: string, worker: string) => void;
  /** A job finished for good (done or failed). Called once per job. */
  onRecord: (record: SweepJobRecord) => void;
  /** A try was lost (error with tries left, or a dead worker); the job goes back to the queue. */
  onRetry: (key: string, reason: string) => void;
  log: (line: string) => void;
}

/** Options of the local pool. */
export interface LocalPoolOptions {
  workers: number;
  threads: number;
  attempts: number;
  maxStalls: number;
}

/** The file and node arguments of a local worker process (tsx when the sources or the job module are TypeScript). */
export function childCommand(jobs: readonly SweepJobSpec[]): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./child.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const needsTsx = fromSource || jobs.some((j) => isTypeScriptModule(resolveExperimentModule(j.experiment)));
  if (!needsTsx) return { file, execArgv: [] };
  let tsx: string;
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    throw new OptionError('experiment.module', 'a TypeScript job module needs the tsx package (npm install tsx), or compile it to .js');
  }
  return { file, execArgv: ['--import', tsx] };
}

interface Slot {
  name: string;
  child: ChildProcess;
  ready: boolean;
  job?: SweepJobSpec;
}

/** Runs `jobs` on a local pool; resolves when every job has a record (given to hooks.onRecord). */
export function runLocalPool(jobs: readonly SweepJobSpec[], options: LocalPoolOptions, hooks: ExecutorHooks): Promise<void> {
  if (jobs.length === 0) return Promise.resolve();
  const { file, execArgv } = childCommand(jobs);
  const queue = [...jobs];
  const tries = new Map<string, number>();
  const stalls = new Map<string, number>();
  let remaining = jobs.length;
  let spawned = 0;
  const slots = new Set<Slot>();

  return new Promise<void>((resolve, reject) => {
    const finish = (record: SweepJobRecord): void => {
      hooks.onRecord(record);
      remaining--;
      if (remaining === 0) {
        for (const s of slots) if (s.child.connected) s.child.disconnect();
        resolve();
      }
    };
    const feed = (slot: Slot): void => {
      if (!slot.child.connected) return;
      const job = queue.shift();
      if (job === undefined) {
        slot.child.disconnect(); // nothing left for it: let it end
        return;
      }
      const attempt = (tries.get(job.key) ?? 0) + 1;
      tries.set(job.key, attempt);
      slot.job = job;
      hooks.onStart(job.key, slot.name);
      slot.child.send({ type: 'run', job, attempt, threads: options.threads, worker: slot.name } satisfies ParentMessage);
    };
    const spawnSlot = (): void => {
      spawned++;
      const name = `local-${spawned}`;
      const child = fork(file, [], { execArgv, env: { ...process.env, TRANSMRI_THREADS: String(options.threads) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
      const slot: Slot = { name, child, ready: false };
      slots.add(slot);
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') {
          slot.ready = true;
          feed(slot);
        } else if (m.type === 'log') {
          hooks.log(`[${name}] ${m.line}`);
        } else if (m.type === 'done') {
          slot.job = undefined;
          finish({ ...m.record, stalls: stalls.get(m.record.key) ?? 0 });
          feed(slot);
        } else if (m.type === 'error') {
          const job = slot.job!;
          slot.job = undefined;
          const attempt = tries.get(job.key)!;
          if (attempt < options.attempts) {
            hooks.onRetry(job.key, `${m.error.name}: ${m.error.message}`);
            queue.push(job);
          } else {
            finish(failedRecord(job, m.error, attempt, stalls.get(job.key) ?? 0, { pid: child.pid, worker: name }));
          }
          feed(slot);
        }
      });
      child.on('error', (error) => {
        hooks.log(`[${name}] ${error.message}`);
      });
      child.on('exit', (code, signal) => {
        slots.delete(slot);
        const job = slot.job;
        if (job !== undefined) {
          slot.job = undefined;
          const n = (stalls.get(job.key) ?? 0) + 1;
          stalls.set(job.key, n);
          const reason = `worker process ${name} died (${signal ?? `exit code ${code}`}) while running the job`;
          if (n <= options.maxStalls) {
            hooks.onRetry(job.key, reason);
            queue.unshift(job);
          } else {
            finish(failedRecord(job, { name: 'WorkerDiedError', message: `${reason}, ${n} times` }, tries.get(job.key) ?? n, n, { worker: name }));
          }
        } else if (!slot.ready && remaining > 0) {
          reject(new Error(`sweep: local worker ${name} exited before it was ready (${signal ?? `exit code ${code}`}); run a job by hand to see why`));
          for (const s of slots) s.child.kill();
          return;
        }
        if (remaining > 0 && queue.length > 0 && slots.size < options.workers) spawnSlot();
      });
    };
    for (let i = 0; i < Math.min(options.workers, jobs.length); i++) spawnSlot();
  });
}
