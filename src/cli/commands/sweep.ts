/**
 * `transmri sweep SWEEP.yaml`: runs a sweep (experiment × settings × seeds × folds) on a local pool of
 * worker processes, or with `--queue redis://HOST:PORT` through a BullMQ queue served by
 * `transmri worker` processes on any number of machines; prints progress, then the merged table.
 * The sweep file is the configuration (its keys: `runSweep`'s SweepConfigSchema).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { z } from 'zod';
import { runSweep, type SweepProgress } from '../../sweep/run-sweep.js';
import { DEFAULT_QUEUE_NAME } from '../../sweep/queue.js';
import { checkOptions, parseInteger } from '../config.js';

const Options = z.strictObject({
  workers: z.number().int().positive().optional(),
  threads: z.number().int().positive().optional(),
  queue: z.string().startsWith('redis://', 'expected a redis:// URL').optional(),
  queueName: z.string().min(1),
  retryFailed: z.boolean(),
  report: z.boolean(),
  quiet: z.boolean().optional(),
});

/** One progress line: `5/12 done, 1 failed, 2 running, 4 pending · 23 s, ETA 40 s`. */
export function progressLine(p: SweepProgress): string {
  const eta = p.etaSeconds === undefined ? '' : `, ETA ${p.etaSeconds.toFixed(0)} s`;
  return `sweep: ${p.done}/${p.total} done${p.reused ? ` (${p.reused} re-used)` : ''}, ${p.failed} failed, ${p.running} running, ${p.pending} pending · ${p.elapsedSeconds.toFixed(0)} s${eta}`;
}

/** `transmri sweep`. */
export function sweepCommand(): Command {
  return new Command('sweep')
    .description('run a sweep file (experiment x settings x seeds x folds) on local workers or a Redis queue; merged table + report.html in its out folder')
    .argument('<sweep>', 'sweep file (.yaml, .yml or .json)')
    .option('-w, --workers <n>', 'local worker processes (default: one per core)', parseInteger)
    .option('-t, --threads <n>', 'threads per local worker (default: cores / workers)', parseInteger)
    .option('-q, --queue <url>', 'send the jobs to a BullMQ queue on this Redis server (redis://HOST:PORT) instead; start `transmri worker` processes against it')
    .option('--queue-name <name>', 'queue name (workers must use the same)', DEFAULT_QUEUE_NAME)
    .option('--no-retry-failed', 'keep the failed records of an earlier run instead of running those jobs again')
    .option('--no-report', 'do not write report.html')
    .option('--quiet', 'no progress lines')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const o = checkOptions(Options, cmd.opts(), 'the options');
      let last = 0;
      const result = await runSweep(file, {
        workers: o.workers,
        threads: o.threads,
        queue: o.queue,
        queueName: o.queueName,
        retryFailed: o.retryFailed,
        report: o.report,
        log: (line) => console.log(line),
        onProgress: o.quiet
          ? undefined
          : (p) => {
              const now = Date.now();
              if (now - last < 1000 && p.pending + p.running > 0 && p.running > 0) return;
              last = now;
              console.log(progressLine(p));
            },
      });
      console.log(`\n${readFileSync(result.files.table, 'utf8')}`);
      console.log(`${result.ran} job(s) ran, ${result.records.length - result.ran} re-used; ${result.seconds.toFixed(1)} s. Results: ${result.files.results}${result.files.report ? `, report: ${result.files.report}` : ''}`);
    });
}
