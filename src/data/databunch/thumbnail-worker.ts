/**
 * A thumbnail worker thread (started by thumbnail-pool.ts): receives `{ id, files, size }`,
 * answers `{ id, thumbs }` with one thumbnail per file, or null for a file it does not decode
 * (not a JPEG decodeJpegLuma handles, or unreadable): the main thread decodes those the usual way,
 * which also gives the typed error.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { jpegThumbnail } from './thumbnail-math.js';

/** A request to a thumbnail worker. */
export interface ThumbnailJob {
  id: number;
  files: string[];
  size: number;
}

/** A thumbnail worker's answer. */
export interface ThumbnailJobResult {
  id: number;
  thumbs: Array<Float32Array | null>;
}

parentPort?.on('message', (job: ThumbnailJob) => {
  const thumbs = job.files.map((file) => {
    try {
      return jpegThumbnail(readFileSync(file), job.size);
    } catch {
      return null;
    }
  });
  const result: ThumbnailJobResult = { id: job.id, thumbs };
  parentPort?.postMessage(result, thumbs.flatMap((t) => (t ? [t.buffer as ArrayBuffer] : [])));
});
