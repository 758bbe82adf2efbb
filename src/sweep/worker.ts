/**
 * A sweep worker on a BullMQ queue (`transmri worker --queue redis://HOST:PORT`): takes jobs one at a
 * time (by default), runs each in a job process of its own (started ahead and re-used; killed when a
 * job outlives the sweep's `timeoutSeconds`) and returns their records to Redis. Start one per
 * machine, or one per Slurm task, each with its share of the cores.
 */
import { availableParallelism, hostname } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { OptionError, rejectUnknownOptions } from '../backend/errors.js';
import { JobProcess } from './job-process.js';
import type { SweepJobSpec } from './jobs.js';
import { DEFAULT_QUEUE_NAME } from './queue.js';
import { checkRedis, redisConnection } from './redis.js';
import type { SweepJobRecord } from './run-job.js';

/** Options of {@link startSweepWorker}. */
export interface SweepWorkerOptions {
  /** Redis URL, e.g. `redis://10.0.0.5:6379` (required). */
  queue: string;
  /** Queue name; default 'transmri-sweep' (the sweep's `queueName` must match). */
  queueName?: string;
  /** Jobs run at once in this process; default 1 (give the process the cores instead). */
  concurrency?: number;
  /** Threads a job may use, told to it as `context.threads`; default all cores. The process's TRANSMRI_THREADS should match (the CLI sets it). */
  threads?: number;
  /** Worker name stored on its jobs; default `<host>-<pid>`. */
  name?: string;
  /** Seconds a job's lock lasts without renewal before the job counts as stalled; default 30 (BullMQ's). */
  lockSeconds?: number;
  /** Seconds between this worker's checks for stalled jobs; default 30 (BullMQ's). */
  stalledSeconds?: number;
  /** Times a stalled job goes back to the queue before it fails; default 2. */
  maxStalls?: number;
  /** Stop after the queue has had no waiting or active job for this many seconds; default never (0). */
  idleSeconds?: number;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

/** Defaults of {@link SweepWorkerOptions}. */
export const DEFAULT_SWEEP_WORKER = { queueName: DEFAULT_QUEUE_NAME, concurrency: 1, lockSeconds: 30, stalledSeconds: 30, maxStalls: 2, idleSeconds: 0 } as const;

/** A running worker. */
export interface SweepWorkerHandle {
  name: string;
  /** Stops taking jobs, waits for the running ones, disconnects. */
  close: () => Promise<void>;
  /** Resolves when the worker has stopped (close() or idleSeconds). */
  done: Promise<void>;
  /** Jobs this worker finished (done or thrown). */
  processed: () => number;
}

/**
 * Starts a worker that takes sweep jobs from the queue until closed.
 * @example
 * const w = await startSweepWorker({ queue: 'redis://127.0.0.1:6379', threads: 4, idleSeconds: 60 });
 * await w.done;
 */
export async function startSweepWorker(options: SweepWorkerOptions): Promise<SweepWorkerHandle> {
  rejectUnknownOptions('SweepWorkerOptions', options, { ...DEFAULT_SWEEP_WORKER, queue: '', threads: 0, name: '', log: null });
  if (typeof options.queue !== 'string' || options.queue === '') throw new OptionError('SweepWorkerOptions.queue', 'a redis:// URL is required');
  const o = { ...DEFAULT_SWEEP_WORKER, threads: availableParallelism(), name: `${hostname()}-${process.pid}`, log: (line: string) => console.log(line), ...options };
  for (const key of ['concurrency', 'threads', 'lockSeconds', 'stalledSeconds'] as const) {
    if (!(o[key] > 0)) throw new OptionError(`SweepWorkerOptions.${key}`, `must be positive, got ${o[key]}`);
  }
  await checkRedis(o.queue, 5000, 'SweepWorkerOptions.queue');
  const connection = redisConnection(o.queue, 'SweepWorkerOptions.queue');
  let processed = 0;
  // job processes started ahead (one per concurrent job), so that a job does not wait for node to start
  let spawned = 0;
  const spawn = (): JobProcess => new JobProcess(`${o.name}/${++spawned}`, o.threads, (line) => o.log(`[${o.name}] ${line}`));
  const idle: JobProcess[] = Array.from({ length: o.concurrency }, spawn);
  const busy = new Set<JobProcess>();
  const worker = new Worker<SweepJobSpec, SweepJobRecord>(
    o.queueName,
    async (job) => {
      const spec = job.data;
      const attempt = job.attemptsStarted ?? job.attemptsMade + 1;
      o.log(`[${o.name}] start ${spec.key} ${spec.sweep} (${spec.setting}; seed ${spec.seed}${spec.fold === null ? '' : `, fold ${spec.fold}`}), try ${attempt}`);
      const proc = idle.pop() ?? spawn();
      busy.add(proc);
      const outcome = await proc.run(spec, attempt, o.name);
      busy.delete(proc);
      processed++;
      // a process killed after a time limit or dead of its job is replaced at once
      idle.push(proc.alive ? proc : spawn());
      if (outcome.type === 'done') {
        o.log(`[${o.name}] done ${spec.key} in ${outcome.record.seconds.toFixed(2)} s`);
        return outcome.record;
      }
      const e = outcome.error;
      o.log(`[${o.name}] failed ${spec.key}: ${e.name}: ${e.message}`);
      const wrapped = new Error(`${e.name}: ${e.message}`);
      if (e.stack) wrapped.stack = e.stack;
      throw wrapped;
    },
    { connection, name: o.name, concurrency: o.concurrency, lockDuration: o.lockSeconds * 1000, stalledInterval: o.stalledSeconds * 1000, maxStalledCount: o.maxStalls, drainDelay: 2 },
  );
  worker.on('error', (err) => o.log(`[${o.name}] queue error: ${err.message}`));
  const counter = new Queue(o.queueName, { connection });
  counter.on('error', () => {});
  let closing: Promise<void> | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let markDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    markDone = resolve;
    worker.on('closed', () => resolve());
  });
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(idleTimer);
      // with Redis gone, BullMQ's close waits for it: give up after a lock period (the job's lock lapses anyway)
      const giveUp = new Promise<void>((r) => setTimeout(r, o.lockSeconds * 1000).unref());
      await Promise.race([Promise.all([worker.close(), counter.close()]), giveUp]);
      for (const p of idle) p.close();
      for (const p of busy) p.kill(); // still running after the lock period: its job is retried elsewhere
      markDone();
    })();
    return closing;
  };
  if (o.idleSeconds > 0) {
    let idleSince = Date.now();
    idleTimer = setInterval(() => {
      counter
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized')
        .then((c) => {
          if ((c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) > 0) idleSince = Date.now();
          else if (Date.now() - idleSince >= o.idleSeconds * 1000) {
            o.log(`[${o.name}] queue idle for ${o.idleSeconds} s: stopping after ${processed} job(s)`);
            void close();
          }
        })
        .catch(() => {
          idleSince = Date.now(); // Redis down: not idle, just waiting
        });
    }, 1000);
  }
  await worker.waitUntilReady();
  o.log(`[${o.name}] waiting for jobs on ${o.queue} (queue ${o.queueName}, ${o.threads} thread(s), concurrency ${o.concurrency})`);
  return { name: o.name, close, done, processed: () => processed };
}
