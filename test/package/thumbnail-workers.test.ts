/**
 * The leakage thumbnails' worker threads from compiled JavaScript, as in the package's dist/ (cheaper
 * than the packing test): the thumbnail modules built with the package's own tsconfig.build.json into
 * a temporary dist/ (tsc emits only these files and what they import), then run by plain node without
 * a TypeScript loader. startThumbnailWorker must start thumbnail-worker.js beside the compiled pool;
 * thumbnails() still gives every thumbnail when a worker cannot start (its chunks are decoded on the
 * main thread) and only says so (onMessage), so the worker is also asked directly.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpeg, png, slice } from '../helpers/synthetic-slices.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = 'dist/src/data/databunch';

// run by plain node in the temporary package: the worker's answer to one job, the main thread's
// thumbnails of the same files, and thumbnails() with 2 workers and without (as SHA-256 of their bytes)
const CHECK = `
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startThumbnailWorker } from './${compiled}/thumbnail-pool.js';
import { jpegThumbnail } from './${compiled}/thumbnail-math.js';
import { thumbnails } from './${compiled}/thumbnails.js';
const files = JSON.parse(process.argv[2]);
const hex = (t) => (t === null ? null : createHash('sha256').update(Buffer.from(t.buffer, t.byteOffset, t.byteLength)).digest('hex'));
const worker = startThumbnailWorker();
const answer = await new Promise((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
  worker.postMessage({ id: 5, files, size: 32 });
}).catch((e) => ({ error: e.code ?? e.message }));
await worker.terminate();
const main = files.map((f) => { try { return hex(jpegThumbnail(readFileSync(f), 32)); } catch { return null; } });
const messages = [];
const [two, none] = [await thumbnails(files, { workers: 2, size: 32, onMessage: (m) => messages.push(m) }), await thumbnails(files, { workers: 0, size: 32 })];
console.log(JSON.stringify({ answer: answer.error ? answer : { id: answer.id, thumbs: answer.thumbs.map(hex) }, main, two: two.map(hex), none: none.map(hex), messages }));
`;

interface CheckResult {
  answer: { id: number; thumbs: Array<string | null> } | { error: string };
  main: Array<string | null>;
  two: string[];
  none: string[];
  /** thumbnails()'s messages with 2 workers. */
  messages: string[];
}

describe('thumbnail worker threads from the compiled package', () => {
  let tmp = '';
  let files: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'transmri-thumb-dist-'));
    symlinkSync(join(repo, 'node_modules'), join(tmp, 'node_modules'), 'dir'); // sharp, @types/node and the rest, as installed beside the package
    const entries = ['thumbnails.ts', 'thumbnail-pool.ts', 'thumbnail-worker.ts'].map((f) => join(repo, 'src', 'data', 'databunch', f));
    writeFileSync(join(tmp, 'tsconfig.json'), JSON.stringify({ extends: join(repo, 'tsconfig.build.json'), compilerOptions: { rootDir: repo, outDir: join(tmp, 'dist'), declaration: false }, include: [], files: entries }));
    const r = spawnSync(process.execPath, [tscBin, '-p', join(tmp, 'tsconfig.json')], { encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`tsc failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'transmri', type: 'module' }));
    writeFileSync(join(tmp, 'check.mjs'), CHECK);
    // 70 files (3 chunks of 32): JPEGs, and a PNG the fast path leaves to the main thread
    const images = join(tmp, 'images');
    mkdirSync(images);
    files = [];
    for (let k = 0; k < 70; k++) {
      const f = join(images, `img${k}.${k % 10 === 9 ? 'png' : 'jpg'}`);
      writeFileSync(f, k % 10 === 9 ? await png(slice(k % 5, 0, 64), 64) : await jpeg(slice(k % 5, k % 3, 64), 90, 64));
      files.push(f);
    }
  }, 240_000);

  afterAll(() => {
    if (!tmp) return;
    rmSync(join(tmp, 'node_modules'), { force: true }); // the link only (never what it points to)
    rmSync(tmp, { recursive: true, force: true });
  });

  const check = (): CheckResult => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // plain node: no TypeScript loader
    const r = spawnSync(process.execPath, ['check.mjs', JSON.stringify(files)], { cwd: tmp, encoding: 'utf8', timeout: 120_000, env });
    if (r.status !== 0) throw new Error(`check.mjs failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as CheckResult;
  };

  it('a worker started from dist/ (thumbnail-worker.js) answers with the main thread\'s thumbnails; thumbnails() with 2 workers equals 0 workers', () => {
    expect(existsSync(join(tmp, compiled, 'thumbnail-worker.js'))).toBe(true);
    const r = check();
    expect(r.answer).toEqual({ id: 5, thumbs: r.main });
    expect(r.main.filter((t) => t === null)).toHaveLength(7); // the PNGs: left to the main thread's usual decoder
    expect(r.two).toEqual(r.none);
    expect(r.two.every((t, k) => r.main[k] === null || t === r.main[k])).toBe(true);
    expect(r.messages).toEqual([]);
  }, 120_000);

  it('without thumbnail-worker.js beside the pool the worker fails to start (what the first test rules out), and thumbnails() says so', () => {
    const file = join(tmp, compiled, 'thumbnail-worker.js');
    renameSync(file, `${file}.away`);
    try {
      const r = check();
      expect(r.answer).toEqual({ error: expect.stringMatching(/MODULE_NOT_FOUND/) });
      // thumbnails() still gives every thumbnail (the failed workers' chunks decoded on the main thread) and says so
      expect(r.two).toEqual(r.none);
      expect(r.messages).toHaveLength(2);
      for (const m of r.messages) expect(m).toMatch(/^thumbnails: a worker thread failed \(MODULE_NOT_FOUND: .*thumbnail-worker\.js.*\): its files are decoded on the main thread$/s);
    } finally {
      renameSync(`${file}.away`, file);
    }
  }, 120_000);
});
