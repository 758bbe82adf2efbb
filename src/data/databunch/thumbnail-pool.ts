/**
 * JPEG thumbnails on every core: the main thread and worker threads (thumbnail-worker.ts) take
 * chunks of files from one queue. Each thread runs the same code on the same bytes, so the
 * thumbnails do not depend on which thread made them. Files the fast JPEG path does not decode
 * (and any chunk a failed worker held) come back as null, for the caller to decode the usual way;
 * a worker that cannot start or fails is said (onMessage), the others and the main thread go on.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { jpegThumbnail } from './thumbnail-math.js';
import type { ThumbnailJob, ThumbnailJobResult } from './thumbnail-worker.js';

/** Files per message to a worker. */
const CHUNK = 32;

/**
 * Starts a thumbnail worker: the compiled thumbnail-worker.js beside this file, or, running from
 * the TypeScript source, thumbnail-worker.ts through tsx; undefined when it cannot be started.
 */
export function startThumbnailWorker(): Worker | undefined {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./thumbnail-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  try {
    if (!fromSource) return new Worker(url);
    // tsx's ESM API (its CommonJS one cannot register from a worker)
    const api = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
    return new Worker(code, { eval: true });
  } catch {
    return undefined;
  }
}

/**
 * The fast-path JPEG thumbnail (jpegThumbnail) of every file, made by the main thread and
 * `workers` worker threads; null for a file that path does not decode or that cannot be read.
 * @param onMessage told when a worker cannot start or fails (its files are then decoded elsewhere)
 */
export async function jpegThumbnailsParallel(files: readonly string[], size: number, workers: number, onMessage: (message: string) => void = () => {}): Promise<Array<Float32Array | null>> {
  const out = new Array<Float32Array | null>(files.length).fill(null);
  const chunks: Array<[number, number]> = [];
  for (let s = 0; s < files.length; s += CHUNK) chunks.push([s, Math.min(files.length, s + CHUNK)]);
  let next = 0;
  const started = Array.from({ length: workers }, startThumbnailWorker);
  const threads = started.filter((w): w is Worker => w !== undefined);
  if (threads.length < workers) onMessage(`thumbnails: ${workers - threads.length} of ${workers} worker thread(s) could not be started: their share is decoded on the main thread`);
  const runWorker = (w: Worker): Promise<void> =>
    new Promise((resolve) => {
      let done = false;
      const send = (): void => {
        if (next >= chunks.length) {
          done = true;
          resolve();
          return;
        }
        const [a, b] = chunks[next++];
        const job: ThumbnailJob = { id: a, files: files.slice(a, b), size };
        w.postMessage(job);
      };
      w.on('message', (r: ThumbnailJobResult) => {
        r.thumbs.forEach((t, k) => (out[r.id + k] = t));
        send();
      });
      // a worker that fails leaves its chunk as nulls (decoded by the caller); the others go on
      const stop = (why: string): void => {
        if (done) return;
        done = true;
        onMessage(`thumbnails: a worker thread failed (${why}): its files are decoded on the main thread`);
        resolve();
      };
      w.on('error', (e: Error & { code?: string }) => stop(e.code === undefined ? e.message : `${e.code}: ${e.message}`));
      w.on('exit', (code) => stop(`exit code ${code}`));
      send();
    });
  const runMain = async (): Promise<void> => {
    while (next < chunks.length) {
      const [a, b] = chunks[next++];
      for (let i = a; i < b; i++) {
        try {
          out[i] = jpegThumbnail(readFileSync(files[i]), size);
        } catch {
          out[i] = null;
        }
      }
      // let the workers' answers in
      await new Promise((r) => setImmediate(r));
    }
  };
  try {
    await Promise.all([...threads.map(runWorker), runMain()]);
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
  return out;
}
