/**
 * One job process of a queue worker: a child process (child.ts, the same as the local pool's) that
 * runs the jobs it is given one at a time, with its own TRANSMRI_THREADS. Running jobs outside the
 * worker's own process lets the worker kill a job that outlives its time limit (a busy JavaScript
 * loop or a native kernel cannot be interrupted in-process) and survive a job that crashes its process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { childCommand, type ChildMessage, type ParentMessage } from './local-pool.js';
import type { SweepJobSpec } from './jobs.js';
import { jobTimeoutError, type ErrorInfo, type SweepJobRecord } from './run-job.js';

/** How a job ended in its process. */
export type JobOutcome =
  | { type: 'done'; record: SweepJobRecord }
  | { type: 'error'; error: ErrorInfo }
  /** Killed after its time limit (the process is gone). */
  | { type: 'timeout'; error: ErrorInfo }
  /** The process died while running it (the process is gone). */
  | { type: 'died'; error: ErrorInfo };

/** A child process that runs jobs one at a time. */
export class JobProcess {
  private readonly child: ChildProcess;
  private current: { job: SweepJobSpec; settle: (o: JobOutcome) => void; timer?: NodeJS.Timeout; timedOut: boolean } | undefined;
  private exited = false;
  /** Resolves when the process is ready for jobs; rejects when it exits before. */
  readonly ready: Promise<void>;

  constructor(
    readonly name: string,
    private readonly threads: number,
    log: (line: string) => void,
  ) {
    const { file, execArgv } = childCommand([]);
    this.child = fork(file, [], { execArgv, env: { ...process.env, TRANSMRI_THREADS: String(threads) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    let markReady: () => void = () => {};
    let failStart: (e: Error) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    this.ready.catch(() => {}); // observed by run()
    this.child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') markReady();
      else if (m.type === 'started') this.startClock();
      else if (m.type === 'log') log(m.line);
      else if (m.type === 'done') this.settle({ type: 'done', record: m.record });
      else if (m.type === 'error') this.settle({ type: 'error', error: m.error });
    });
    this.child.on('error', (e) => log(`job process: ${e.message}`));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      failStart(new Error(`job process exited before it was ready (${signal ?? `exit code ${code}`})`));
      const c = this.current;
      if (c === undefined) return;
      const limit = c.job.timeoutSeconds;
      if (c.timedOut && limit != null) this.settle({ type: 'timeout', error: jobTimeoutError(c.job, limit) });
      else this.settle({ type: 'died', error: { name: 'WorkerDiedError', message: `the job process died (${signal ?? `exit code ${code}`}) while running job ${c.job.key}` } });
    });
  }

  /** False once the process has exited (after a timeout, a crash or close()). */
  get alive(): boolean {
    return !this.exited;
  }

  /**
   * Runs one job; resolves with its outcome (never rejects). A job function running longer than
   * its `timeoutSeconds` is killed with SIGKILL (and so is this process).
   */
  async run(job: SweepJobSpec, attempt: number, worker: string): Promise<JobOutcome> {
    if (this.current !== undefined) throw new Error(`job process ${this.name} is busy`);
    try {
      await this.ready;
    } catch (e) {
      return { type: 'died', error: { name: 'WorkerDiedError', message: (e as Error).message } };
    }
    if (this.exited) return { type: 'died', error: { name: 'WorkerDiedError', message: 'the job process has exited' } };
    return new Promise<JobOutcome>((resolve) => {
      this.current = { job, settle: resolve, timedOut: false };
      this.child.send({ type: 'run', job, attempt, threads: this.threads, worker } satisfies ParentMessage);
    });
  }

  /** Lets the process end (it exits when disconnected); a running job is left to finish first by the caller. */
  close(): void {
    if (this.child.connected) this.child.disconnect();
  }

  /** Ends the process at once. */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** The job function starts (its module is loaded): its time limit starts now. */
  private startClock(): void {
    const c = this.current;
    const limit = c?.job.timeoutSeconds;
    if (c === undefined || limit == null) return;
    c.timer = setTimeout(() => {
      c.timedOut = true;
      this.child.kill('SIGKILL');
    }, limit * 1000);
  }

  private settle(outcome: JobOutcome): void {
    const c = this.current;
    if (c === undefined) return;
    clearTimeout(c.timer);
    this.current = undefined;
    c.settle(outcome);
  }
}
