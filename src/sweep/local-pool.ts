/**
 * The embedded default: a pool of local worker processes (child.ts) fed over IPC, each with its own
 * thread count (TRANSMRI_THREADS) so that they do not oversubscribe the cores. A job that throws is
 * retried up to `attempts` tries, then recorded as failed; so is a job that outlives its
 * `timeoutSeconds` (its process is killed with SIGKILL and replaced). A job whose process dies is
 * given to a new process up to `maxStalls` times (as BullMQ does with stalled jobs).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OptionError } from '../backend/errors.js';
import { findTsx, isTypeScriptModule, resolveExperimentModule, typeScriptLoaderActive } from './experiments.js';
import type { SweepJobSpec } from './jobs.js';
import { failedRecord, jobTimeoutError, type ErrorInfo, type SweepJobRecord } from './run-job.js';

/** Parent → child. */
export type ParentMessage = { type: 'run'; job: SweepJobSpec; attempt: number; threads: number; worker: string };
/** Child → parent. */
export type ChildMessage = { type: 'ready' } | { type: 'started' } | { type: 'log'; line: string } | { type: 'done'; record: SweepJobRecord } | { type: 'error'; key: string; error: ErrorInfo };

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

/**
 * The file and node arguments of a job process: child.js, or child.ts through tsx when transmri runs
 * from its source. A TypeScript job module under compiled transmri is handled in the child (it
 * registers tsx when installed; see importJobModule); `jobs` are checked here so that a missing loader
 * fails the sweep at once, naming the module, instead of every job.
 * @throws OptionError naming the job module when it is TypeScript and tsx cannot be found
 */
export function childCommand(jobs: readonly SweepJobSpec[]): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./child.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  if (!fromSource) {
    for (const module of new Set(jobs.map((j) => resolveExperimentModule(j.experiment)))) {
      if (isTypeScriptModule(module) && !typeScriptLoaderActive() && findTsx(module) === undefined) {
        throw new OptionError('experiment.module', `${module} is TypeScript and no TypeScript loader is available: install tsx (npm install tsx), or compile the module to .js/.mjs`);
      }
    }
    return { file, execArgv: [] };
  }
  let tsx: string;
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    throw new OptionError('experiment', 'transmri runs from its TypeScript source but tsx is not installed (npm install tsx)');
  }
  return { file, execArgv: ['--import', tsx] };
}

interface Slot {
  name: string;
  child: ChildProcess;
  ready: boolean;
  job?: SweepJobSpec;
  /** Kills the process when the job outlives its time limit. */
  timer?: NodeJS.Timeout;
  timedOut?: boolean;
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
    /** A try ended with an error (thrown, or killed after its time limit): retried while tries are left, else recorded. */
    const tryFailed = (job: SweepJobSpec, error: ErrorInfo, where: { pid?: number; worker: string; seconds?: number }): void => {
      const attempt = tries.get(job.key)!;
      if (attempt < options.attempts) {
        hooks.onRetry(job.key, `${error.name}: ${error.message}`);
        queue.push(job);
      } else {
        finish(failedRecord(job, error, attempt, stalls.get(job.key) ?? 0, where));
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
        } else if (m.type === 'started') {
          // the job function starts (its module is loaded): its time limit starts now
          const limit = slot.job?.timeoutSeconds;
          if (limit != null) {
            slot.timer = setTimeout(() => {
              slot.timedOut = true;
              slot.child.kill('SIGKILL');
            }, limit * 1000);
          }
        } else if (m.type === 'log') {
          hooks.log(`[${name}] ${m.line}`);
        } else if (m.type === 'done') {
          clearTimeout(slot.timer);
          slot.job = undefined;
          finish({ ...m.record, stalls: stalls.get(m.record.key) ?? 0 });
          feed(slot);
        } else if (m.type === 'error') {
          clearTimeout(slot.timer);
          const job = slot.job!;
          slot.job = undefined;
          tryFailed(job, m.error, { pid: child.pid, worker: name });
          feed(slot);
        }
      });
      child.on('error', (error) => {
        hooks.log(`[${name}] ${error.message}`);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(slot.timer);
        slots.delete(slot);
        const job = slot.job;
        if (job !== undefined && slot.timedOut) {
          slot.job = undefined;
          tryFailed(job, jobTimeoutError(job, job.timeoutSeconds!), { pid: child.pid, worker: name, seconds: job.timeoutSeconds! });
        } else if (job !== undefined) {
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
          for (const s of slots) s.child.kill('SIGKILL');
          return;
        }
        if (remaining > 0 && queue.length > 0 && slots.size < options.workers) spawnSlot();
      });
    };
    for (let i = 0; i < Math.min(options.workers, jobs.length); i++) spawnSlot();
  });
}
