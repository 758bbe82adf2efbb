/**
 * A job process ends when its parent (the local pool's sweep process or a queue worker) dies. Its main
 * thread learns that from the IPC 'disconnect' event, but a job in a synchronous loop (busy JavaScript,
 * or a long native kernel) never lets that event run, and the orphan would spin on. So a small worker
 * thread, whose event loop the job cannot block, polls the parent and kills this process (SIGKILL, which
 * needs no cooperation from the busy main thread) once the parent is gone. No native addon needed.
 */
import { Worker } from 'node:worker_threads';

// The thread's code, evaluated as a CommonJS script: no file to resolve from src/ or dist/, and no
// loader (execArgv is emptied). The parent is gone once this process is re-parented (POSIX: the
// orphan's ppid becomes init or a subreaper) or the pid no longer exists (Windows keeps the old ppid).
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { parent, intervalMs } = workerData;
const alive = () => {
  if (process.ppid !== parent) return false;
  try { process.kill(parent, 0); return true; } catch (e) { return e.code === 'EPERM'; }
};
setInterval(() => { if (!alive()) process.kill(process.pid, 'SIGKILL'); }, intervalMs);
`;

/**
 * Starts the watchdog thread of a job process: it SIGKILLs this process once `parent` is gone, even
 * while the main thread is busy. The thread does not keep the process alive (unref'd).
 * @param parent pid of the parent to watch (the current `process.ppid` by default)
 * @param intervalMs milliseconds between checks
 * @returns the thread (terminate() stops the watch)
 */
export function startParentWatchdog(parent = process.ppid, intervalMs = 500): Worker {
  const thread = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { parent, intervalMs }, execArgv: [], stdout: false, stderr: false });
  thread.on('error', (e) => console.error(`job process ${process.pid}: parent watchdog failed: ${e.message}`));
  thread.unref();
  return thread;
}
