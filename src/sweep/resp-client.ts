/**
 * A minimal Redis client (RESP2 over one TCP socket) for BullMQ. BullMQ 6 speaks to Redis through
 * an adapter; without the optional `ioredis` package it accepts any raw client that has `send`,
 * `connected`, `connect`, `close`, `duplicate` and the `onconnect`/`onclose` hooks (the shape of
 * Bun's built-in client), and wraps it in its own adapter, which adds Lua scripts, transactions and
 * reconnection. This file is that raw client: commands are pipelined in order on the socket and
 * their replies matched first in, first out.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { createBunRedisClient, type IRedisClient } from 'bullmq';
import { OptionError } from '../backend/errors.js';

/** Where a Redis server is. */
export interface RedisAddress {
  host: string;
  port: number;
  /** Database index; default 0. */
  db: number;
  username?: string;
  password?: string;
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` (port 6379 and db 0 by default).
 * @throws OptionError naming `option` when the URL is not a redis:// URL.
 */
export function parseRedisUrl(url: string, option = 'queue'): RedisAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OptionError(option, `expected a URL like redis://127.0.0.1:6379, got "${url}"`);
  }
  if (u.protocol !== 'redis:') throw new OptionError(option, `only redis:// URLs are supported, got "${url}"`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new OptionError(option, `database index must be a non-negative integer, got "${u.pathname.slice(1)}" in "${url}"`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
}

type Reply = string | number | null | Error | Reply[];
interface Pending {
  resolve: (value: Reply) => void;
  reject: (error: Error) => void;
}

const CLOSED = 'Connection closed';

/** One RESP2 connection. Not connected until {@link RespClient.connect}. */
export class RespClient {
  /** True between a successful connect (AUTH/SELECT done) and the socket's close. */
  connected = false;
  /** Called once the connection is ready (set by BullMQ's adapter). */
  onconnect: (() => void) | null | undefined;
  /** Called when a ready connection closes, with the socket error if any. */
  onclose: ((error?: Error) => void) | null | undefined;
  /** Set by BullMQ's adapter before closing; unused here. */
  onerror: ((error: Error) => void) | null | undefined;
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Pending[] = [];
  private lastError: Error | undefined;

  constructor(readonly address: RedisAddress) {}

  /** `redis://host:port/db`. */
  get url(): string {
    return `redis://${this.address.host}:${this.address.port}/${this.address.db}`;
  }

  /** Opens the socket, authenticates and selects the database. */
  connect(): Promise<void> {
    if (this.socket !== undefined) return Promise.reject(new Error('RespClient: connect() called twice; use duplicate() for a new connection'));
    return new Promise<void>((resolve, reject) => {
      const socket = netConnect({ host: this.address.host, port: this.address.port });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 10_000);
      let opened = false;
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (error) => {
        this.lastError = error;
        if (!opened) reject(error);
      });
      socket.on('close', () => {
        const wasConnected = this.connected;
        this.connected = false;
        const error = new Error(`${CLOSED}${this.lastError ? `: ${this.lastError.message}` : ''}`);
        for (const p of this.pending.splice(0)) p.reject(error);
        if (!opened) reject(this.lastError ?? error);
        if (wasConnected) this.onclose?.(this.lastError);
      });
      socket.on('connect', () => {
        const setup: Array<Promise<Reply>> = [];
        if (this.address.password !== undefined) {
          setup.push(this.write('AUTH', this.address.username ? [this.address.username, this.address.password] : [this.address.password]));
        }
        if (this.address.db !== 0) setup.push(this.write('SELECT', [String(this.address.db)]));
        Promise.all(setup).then(
          () => {
            opened = true;
            this.connected = true;
            this.onconnect?.();
            resolve();
          },
          (error: Error) => {
            socket.destroy();
            reject(error);
          },
        );
      });
    });
  }

  /** Sends one command; resolves to its reply (strings, numbers, null, arrays), rejects on an error reply. */
  send<T = unknown>(command: string, args: ReadonlyArray<string | number | Buffer>): Promise<T> {
    if (!this.connected) return Promise.reject(new Error(CLOSED));
    return this.write(command, args) as Promise<T>;
  }

  /** Closes the socket; pending commands are rejected. */
  close(): void {
    this.socket?.end();
    this.socket?.destroy();
  }

  /** Same as {@link RespClient.close} (BullMQ recognises a client instance by connect/disconnect/duplicate). */
  disconnect(): void {
    this.close();
  }

  /** A new, not yet connected client to the same server. */
  duplicate(): Promise<this> {
    return Promise.resolve(new RespClient(this.address) as this);
  }

  /** GET (part of the raw-client shape BullMQ's adapter expects). */
  get(key: string): Promise<string | null> {
    return this.send<string | null>('GET', [key]);
  }

  /** SMEMBERS. */
  smembers(key: string): Promise<string[]> {
    return this.send<string[]>('SMEMBERS', [key]);
  }

  /** INCR. */
  incr(key: string): Promise<number> {
    return this.send<number>('INCR', [key]);
  }

  private write(command: string, args: ReadonlyArray<string | number | Buffer>): Promise<Reply> {
    const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n$${Buffer.byteLength(command)}\r\n${command}\r\n`)];
    for (const a of args) {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
    return new Promise<Reply>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket!.write(Buffer.concat(parts));
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseReply(this.buffer, offset);
      if (parsed === undefined) break;
      offset = parsed.next;
      const p = this.pending.shift();
      if (p === undefined) continue; // a reply nobody waits for (cannot happen with FIFO pipelining)
      if (parsed.value instanceof Error) p.reject(parsed.value);
      else p.resolve(parsed.value);
    }
    this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
  }
}

/** Parses one reply at `offset`; undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, offset: number): { value: Reply; next: number } | undefined {
  if (offset >= buf.length) return undefined;
  const end = buf.indexOf('\r\n', offset);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default:
      return { value: new Error(`RespClient: unexpected reply type "${type}"`), next };
  }
}

/**
 * A BullMQ connection (its adapter around a {@link RespClient}) to the server at `url`.
 * The caller closes it with `quit()` after closing the Queue/Worker/QueueEvents that use it.
 */
export function bullmqConnection(url: string, option = 'queue'): IRedisClient {
  return createBunRedisClient(new RespClient(parseRedisUrl(url, option)));
}
