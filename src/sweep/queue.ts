/**
 * Many machines: the sweep's jobs go to a BullMQ queue on a Redis server, `transmri worker`
 * processes anywhere take them, and this coordinator collects their records from Redis.
 *
 * The job id is the job key, so adding a job that Redis already holds is a no-op (a finished one is
 * read back, a failed one retried when asked). The coordinator polls the jobs' states rather than
 * trusting the QueueEvents stream alone: after a Redis restart or a lost connection, polling sees
 * every job that finished meanwhile, and a job Redis lost (no persistence) is added again.
 */
import { Job, Queue } from 'bullmq';
import type { SweepJobSpec } from './jobs.js';
import type { ExecutorHooks } from './local-pool.js';
import { checkRedis, redisConnection } from './redis.js';
import { failedRecord, type SweepJobRecord } from './run-job.js';

export { QueueUnreachableError, checkRedis } from './redis.js';

/** Queue name used when none is given (workers and sweeps must agree). */
export const DEFAULT_QUEUE_NAME = 'transmri-sweep';

/** Options of {@link runOnQueue}. */
export interface QueueRunOptions {
  url: string;
  queueName: string;
  attempts: number;
  pollMs: number;
  retryFailed: boolean;
}

/** `Name: message` (as the worker throws it) back into name and message. */
function parseFailedReason(reason: string | undefined): { name: string; message: string } {
  const m = /^([A-Za-z]\w*): ([\s\S]*)$/.exec(reason ?? '');
  return m ? { name: m[1], message: m[2] } : { name: 'Error', message: reason ?? 'unknown failure' };
}

/** The record of a finished BullMQ job, or undefined while it is not finished. */
function recordOf(job: Job<SweepJobSpec, SweepJobRecord>): SweepJobRecord | undefined {
  if (!job.finishedOn) return undefined;
  const stalls = job.stalledCounter ?? 0;
  // a completed job has its record as return value; its failedReason may still hold an earlier try's error
  const r = job.returnvalue as SweepJobRecord | null | undefined;
  if (r !== null && typeof r === 'object' && r.status === 'done') return { ...r, attempts: Math.max(r.attempts, job.attemptsStarted ?? 0), stalls };
  if (job.failedReason === undefined || job.failedReason === '') return undefined;
  const stack = job.stacktrace?.[job.stacktrace.length - 1];
  return failedRecord(job.data, { ...parseFailedReason(job.failedReason), ...(stack ? { stack } : {}) }, job.attemptsStarted ?? job.attemptsMade, stalls, { worker: job.processedBy });
}

/** Runs `jobs` through the queue at `options.url`; resolves when every job has a record. */
export async function runOnQueue(jobs: readonly SweepJobSpec[], options: QueueRunOptions, hooks: ExecutorHooks): Promise<void> {
  if (jobs.length === 0) return;
  await checkRedis(options.url);
  const queue = new Queue<SweepJobSpec, SweepJobRecord>(options.queueName, { connection: redisConnection(options.url) });
  queue.on('error', () => {}); // connection errors are seen (and retried) by the poll below
  const pending = new Map(jobs.map((j) => [j.key, j]));
  const started = new Map<string, number>();
  const add = async (list: SweepJobSpec[]): Promise<void> => {
    if (list.length === 0) return;
    await queue.addBulk(list.map((j) => ({ name: j.sweep, data: j, opts: { jobId: j.key, attempts: options.attempts, removeOnComplete: false, removeOnFail: false } })));
  };
  try {
    await queue.waitUntilReady();
    const toAdd: SweepJobSpec[] = [];
    for (const spec of jobs) {
      const job = await Job.fromId<SweepJobSpec, SweepJobRecord>(queue, spec.key);
      if (job === undefined) {
        toAdd.push(spec);
      } else if (job.finishedOn && job.failedReason && options.retryFailed) {
        hooks.log(`job ${spec.key} (${spec.setting}, seed ${spec.seed}) failed in an earlier run: retrying it`);
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
    }
    await add(toAdd);
    let unreachableSince: number | undefined;
    while (pending.size > 0) {
      try {
        const keys = [...pending.keys()];
        const found = await Promise.all(keys.map((k) => Job.fromId<SweepJobSpec, SweepJobRecord>(queue, k)));
        const lost: SweepJobSpec[] = [];
        for (const [i, job] of found.entries()) {
          const key = keys[i];
          if (job === undefined) {
            lost.push(pending.get(key)!);
            continue;
          }
          const record = recordOf(job);
          if (record !== undefined) {
            pending.delete(key);
            hooks.onRecord(record);
          } else if (job.processedOn && (job.attemptsStarted ?? 0) > (started.get(key) ?? 0)) {
            if (started.has(key)) hooks.onRetry(key, job.stalledCounter ? 'its worker stopped renewing the lock (stalled)' : 'retried after an error');
            started.set(key, job.attemptsStarted ?? 0);
            hooks.onStart(key, job.processedBy ?? '');
          }
        }
        if (lost.length > 0) {
          hooks.log(`${lost.length} job(s) missing from Redis (restarted without persistence?): adding them again`);
          await add(lost);
        }
        if (unreachableSince !== undefined) hooks.log(`Redis at ${options.url} is back after ${((Date.now() - unreachableSince) / 1000).toFixed(1)} s`);
        unreachableSince = undefined;
      } catch (err) {
        if (unreachableSince === undefined) {
          unreachableSince = Date.now();
          hooks.log(`Redis at ${options.url} unreachable (${(err as Error).message}); waiting for it`);
        }
      }
      // at most ~500 job lookups a second however large the sweep
      if (pending.size > 0) await new Promise((r) => setTimeout(r, Math.max(options.pollMs, (pending.size / 500) * 1000)));
    }
  } finally {
    await queue.close().catch(() => {});
  }
}
