/**
 * Entry of a local pool worker process (forked by local-pool.ts): runs the jobs its parent sends
 * over IPC, one at a time, and answers with their records or errors. Ends when the parent disconnects.
 */
import { executeJob, errorInfo } from './run-job.js';
import type { ChildMessage, ParentMessage } from './local-pool.js';

const send = (m: ChildMessage): void => {
  if (process.connected) process.send?.(m); // the parent may have finished (and disconnected) meanwhile
};

process.on('message', (m: ParentMessage) => {
  if (m.type !== 'run') return;
  const log = (line: string): void => send({ type: 'log', line });
  executeJob(m.job, { attempt: m.attempt, threads: m.threads, worker: m.worker, log }).then(
    (record) => send({ type: 'done', record }),
    (error: unknown) => send({ type: 'error', key: m.job.key, error: errorInfo(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
