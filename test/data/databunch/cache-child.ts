/**
 * Helper process for cache.test.ts: one of two processes sharing a cache directory. After both
 * are ready, it builds the sources of its parity (even or odd index), then reads every source
 * twice (building the other's when not there yet), checking each value it reads.
 * Usage: node --import tsx cache-child.ts <cacheDir> <sourceDir> <count> <parity 0|1>
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { SampleCache } from '../../../src/data/databunch/cache.js';

const [cacheDir, sourceDir, countArg, parityArg] = process.argv.slice(2);
const [count, parity] = [Number(countArg), Number(parityArg)];
const cache = await SampleCache.open(cacheDir, { onMessage: () => {}, verify: 'always' });
// start together, so the two really race
await fs.writeFile(path.join(sourceDir, `ready-${parity}`), '');
while (!existsSync(path.join(sourceDir, `ready-${1 - parity}`))) await new Promise((r) => setTimeout(r, 5));
let bad = 0;
const visit = async (i: number): Promise<void> => {
  const source = path.join(sourceDir, `s${i}.bin`);
  const s = await cache.get({
    id: `s${i}`,
    source,
    pipelineHash: 'p',
    produce: async () => ({ data: Float32Array.from(await fs.readFile(source), (v) => v + i), shape: [256] }),
  });
  if (s.data.length !== 256 || s.data.some((v, k) => v !== ((k + i) % 256) + i)) bad++;
};
for (let i = parity; i < count; i += 2) await visit(i);
for (let round = 0; round < 2; round++) for (let i = 0; i < count; i++) await visit(i);
console.log(JSON.stringify({ bad, ...cache.counters }));
