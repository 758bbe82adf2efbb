/**
 * Helper process for cache-faults.test.ts, run as an unprivileged user (root ignores permission
 * bits): opens a cache and reads sources through it, then prints what happened as JSON.
 * Usage: node --import tsx cache-perm-child.ts [--lock-entries] <cacheDir> <source>...
 * (--lock-entries: make entries/ read-only right after opening, as a permission change under a running process)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SampleCache } from '../../../src/data/databunch/cache.js';

const args = process.argv.slice(2);
const lock = args[0] === '--lock-entries';
const [cacheDir, ...sources] = lock ? args.slice(1) : args;
const messages: string[] = [];
const result: { values?: number[][]; error?: { name: string; message: string; file?: string }; messages: string[]; counters?: object } = { messages };
try {
  const cache = await SampleCache.open(cacheDir, { onMessage: (m) => messages.push(m) });
  if (lock) await fs.chmod(path.join(cacheDir, 'entries'), 0o555);
  result.values = [];
  for (const source of sources) {
    const s = await cache.get({ id: path.basename(source), source, pipelineHash: 'p1', produce: async () => ({ data: Float32Array.from(await fs.readFile(source), (v) => v * 2), shape: [(await fs.stat(source)).size, 1] }) });
    result.values.push(Array.from(s.data));
  }
  result.counters = cache.counters;
} catch (error) {
  const e = error as Error & { file?: string };
  result.error = { name: e.name, message: e.message, ...(e.file !== undefined ? { file: e.file } : {}) };
}
process.stdout.write(JSON.stringify(result));
