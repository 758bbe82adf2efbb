/**
 * Entry of a job process (forked by local-pool.ts and by a queue worker's job-process.ts): runs the jobs its parent sends
 * over IPC, one at a time, and answers with their records or errors. Ends when the parent disconnects, or
 * (parent-watchdog.ts) within a second of the parent's death even while a job blocks the event loop.
 */
import { executeJob, errorInfo } from './run-job.js';
import type { ChildMessage, ParentMessage } from './local-pool.js';
import { startParentWatchdog } from './parent-watchdog.js';

const send = (m: ChildMessage): void => {
  if (process.connected) process.send?.(m); // the parent may have finished (and disconnected) meanwhile
};

/** Sends and resolves once the message is written (before a job that may never yield again starts). */
const sendNow = (m: ChildMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected || process.send === undefined) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });

process.on('message', (m: ParentMessage) => {
  if (m.type !== 'run') return;
  const log = (line: string): void => send({ type: 'log', line });
  executeJob(m.job, { attempt: m.attempt, threads: m.threads, worker: m.worker, log, onStart: () => sendNow({ type: 'started' }) }).then(
    (record) => send({ type: 'done', record }),
    (error: unknown) => send({ type: 'error', key: m.job.key, error: errorInfo(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
// a job in a synchronous loop never lets 'disconnect' run: a thread watches the parent and kills this process
startParentWatchdog();
// SIGINT/SIGTERM sent to the whole process group (Ctrl-C, Slurm) are for the parent: it lets the
// running job finish and then disconnects, which ends this process; a dead parent disconnects too
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
send({ type: 'ready' });
