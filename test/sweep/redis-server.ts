/**
 * Test helpers: a real `redis-server` on a free loopback port with its own temporary folder
 * (append-only file on, so a restart keeps the jobs), and `transmri worker` processes against it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

/** True when `redis-server` can be run (CI installs it in .ci/run). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A one-shot connection: no reconnects, no retries. */
function client(port: number): Redis {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  c.on('error', () => {});
  return c;
}

async function ping(port: number): Promise<boolean> {
  const c = client(port);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } finally {
    c.disconnect();
  }
}

/** Kills `proc` if this (test) process exits first, e.g. a run stopped before afterAll. */
export function killOnExit(proc: ChildProcess): void {
  const kill = (): void => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  process.once('exit', kill);
  proc.once('exit', () => process.removeListener('exit', kill));
}

/** A redis-server process. */
export class TestRedis {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'sweep-redis-'));
  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freePort());
    await r.startServer();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async startServer(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    killOnExit(this.proc);
    await waitFor(`redis-server on port ${this.port}`, () => ping(this.port), 20_000);
  }

  /** SHUTDOWN (the append-only file is flushed), then a new server on the same port and folder. */
  async restart(downMs = 1000): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.startServer();
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    const c = client(this.port);
    try {
      await c.connect();
      await c.shutdown().catch(() => {}); // the server closes the connection instead of answering
    } catch {
      proc.kill('SIGKILL');
    } finally {
      c.disconnect();
    }
    await exited;
    this.proc = undefined;
  }

  /** Stops the server and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const bin = fileURLToPath(new URL('../../bin/transmri.js', import.meta.url));

/** A `transmri worker` process; resolves once it waits for jobs. */
export async function startWorker(url: string, name: string, extra: string[] = []): Promise<{ proc: ChildProcess; output: () => string }> {
  const proc = spawn(process.execPath, [bin, 'worker', '--queue', url, '--name', name, '--threads', '1', '--lock-seconds', '4', '--stalled-seconds', '1', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`worker ${name} to start`, async () => {
    if (proc.exitCode !== null) throw new Error(`worker ${name} exited: ${out}`);
    return out.includes('waiting for jobs');
  }, 90_000);
  return { proc, output: () => out };
}

/** SIGTERM, then SIGKILL after `ms`. */
export async function stopProcess(proc: ChildProcess, ms = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}
