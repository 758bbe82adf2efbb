/**
 * `transmri worker --queue redis://HOST:PORT`: takes sweep jobs from a BullMQ queue until stopped
 * (SIGINT/SIGTERM finish the running job first) or, with `--idle-seconds`, until the queue has been
 * empty that long. Start one per machine or per Slurm task; `--threads` sets TRANSMRI_THREADS.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_SWEEP_WORKER, startSweepWorker } from '../../sweep/worker.js';
import { addConfigOption, parseInteger, parseNumber, resolveOptions } from '../config.js';

const Options = z.strictObject({
  queue: z.string().startsWith('redis://', 'expected a redis:// URL'),
  queueName: z.string().min(1),
  threads: z.number().int().positive().optional(),
  concurrency: z.number().int().positive(),
  name: z.string().min(1).optional(),
  lockSeconds: z.number().positive(),
  stalledSeconds: z.number().positive(),
  maxStalls: z.number().int().nonnegative(),
  idleSeconds: z.number().nonnegative(),
});

/** `transmri worker`. */
export function workerCommand(): Command {
  const d = DEFAULT_SWEEP_WORKER;
  return addConfigOption(
    new Command('worker')
      .description('take sweep jobs from a BullMQ queue on Redis (start any number, on any machine that sees the same code and data paths)')
      .requiredOption('-q, --queue <url>', 'Redis server of the queue, redis://HOST:PORT[/DB]')
      .option('--queue-name <name>', 'queue name', d.queueName)
      .option('-t, --threads <n>', 'threads per job (sets TRANSMRI_THREADS; default: $TRANSMRI_THREADS, else $SLURM_CPUS_PER_TASK, else all cores)', parseInteger)
      .option('--concurrency <n>', 'jobs at once in this process', parseInteger, d.concurrency)
      .option('--name <name>', 'worker name stored with its jobs (default: host-pid)')
      .option('--lock-seconds <s>', 'seconds without a lock renewal before a job counts as stalled', parseNumber, d.lockSeconds)
      .option('--stalled-seconds <s>', 'seconds between checks for stalled jobs', parseNumber, d.stalledSeconds)
      .option('--max-stalls <n>', 'times a stalled job is retried before it fails', parseInteger, d.maxStalls)
      .option('--idle-seconds <s>', 'stop after the queue has been empty this long (0: never)', parseNumber, d.idleSeconds),
  ).action(async (_o: unknown, cmd: Command) => {
    const o = await resolveOptions(cmd, Options);
    const fromEnv = [process.env.TRANSMRI_THREADS, process.env.SLURM_CPUS_PER_TASK].map(Number).find((n) => Number.isInteger(n) && n > 0);
    const threads = o.threads ?? fromEnv;
    if (threads !== undefined) process.env.TRANSMRI_THREADS = String(threads); // read by initBackend in the jobs
    const handle = await startSweepWorker({ ...o, ...(threads === undefined ? {} : { threads }) });
    const stop = (): void => {
      console.log(`[${handle.name}] stopping after the running job (a second signal stops at once)`);
      void handle.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await handle.done;
    console.log(`[${handle.name}] stopped after ${handle.processed()} job(s)`);
    // a connection still trying to reach a Redis that went away must not keep the process alive
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
