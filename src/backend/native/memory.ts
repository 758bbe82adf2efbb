/**
 * Gives the native kernels' output buffers back as soon as tfjs disposes
 * their tensors, instead of when V8 collects the arrays (Node-API finalizers
 * only run from the event loop, so a synchronous training step would keep
 * every intermediate until it returns: 8–10× PyTorch's peak RSS).
 *
 * Safety: on the cpu backend `dataSync()` returns the backend's own array, so
 * a buffer is recycled only when nobody outside the kernels can hold it:
 * - it came from the addon's `alloc` and was stored in exactly one tensor
 *   data entry (a second `write`/`move` of it or of a view into it, e.g. a
 *   simple Slice's subarray, marks it shared);
 * - it was never read through `readSync`/`read` (dataSync, data, array,
 *   buffer, print all go through these).
 * A recycled array is handed out again as the output of a later kernel of
 * the same length ({@link RecycleMode} 'arrays', the default), or detached by
 * the addon so that only its memory is reused ('detach', slower: a reference
 * the tracking missed then sees an empty array instead of reused memory).
 */
import type { NativeAddon } from './addon.js';

interface Rec {
  arr: Float32Array;
  uses: number;
  exposed: boolean;
}

type DataId = object;
interface Entry { values?: unknown }

/** The cpu backend members the recycler wraps (instance properties shadow the prototype's). */
export interface RecyclableBackend {
  data: { get(id: DataId): Entry | undefined; has(id: DataId): boolean };
  write(values: unknown, shape: number[], dtype: string): DataId;
  move(id: DataId, values: unknown, shape: number[], dtype: string, refCount: number): void;
  readSync(id: DataId): unknown;
  read(id: DataId): Promise<unknown>;
  disposeData(id: DataId, force?: boolean): boolean;
}

/**
 * How recycled buffers are reused. 'arrays': the same Float32Array is handed
 * out again (no new ArrayBuffer per output, so V8 sees no external-memory
 * churn and collects less often). 'detach': the array is detached and only
 * its memory reused through a new array, so a reference the tracking missed
 * reads an empty array instead of reused memory (slower: every output is a
 * new ArrayBuffer that V8 counts until its next collection).
 */
export type RecycleMode = 'arrays' | 'detach';

/** Counters of the recycler (for benchmarks and tests). */
export interface RecyclerStats {
  /** Buffers recycled at dispose time. */
  recycled: number;
  /** Outputs served from the recycler's own free list ('arrays' mode). */
  reusedArrays: number;
  /** Bytes in that free list. */
  freeArrayBytes?: number;
  /** Disposed buffers kept because they were read by user code. */
  keptExposed: number;
  /** Disposed buffers kept because another tensor shared them. */
  keptShared: number;
}

/** Wraps a cpu backend's data methods; returned by {@link installRecycler}. */
export interface Recycler {
  /** Allocates a kernel output of n floats and tracks it. */
  alloc(n: number): Float32Array;
  stats(): RecyclerStats;
  /** Removes the wrappers (tracked buffers are then left to the garbage collector). */
  uninstall(): void;
}

const WRAPPED = ['write', 'move', 'readSync', 'read', 'disposeData'] as const;

/**
 * Installs the recycler on a cpu backend instance (its methods are shadowed
 * by instance properties calling the originals).
 */
export function installRecycler(backend: RecyclableBackend, addon: NativeAddon, mode: RecycleMode = 'arrays'): Recycler {
  const recs = new WeakMap<ArrayBufferLike, Rec>();
  const stats: RecyclerStats = { recycled: 0, keptExposed: 0, keptShared: 0, reusedArrays: 0 };
  // 'arrays': recycled arrays wait in this free list by length (bytes capped by
  // the addon's pool limit) and are handed out again as they are.
  const free = new Map<number, Float32Array[]>();
  let freeBytes = 0;
  const limit = addon.memoryStats().limit;
  const own = new Map(WRAPPED.map((k) => [k, Object.prototype.hasOwnProperty.call(backend, k)] as const));
  const before = new Map(WRAPPED.map((k) => [k, backend[k]] as const));
  const orig = {
    write: backend.write.bind(backend),
    move: backend.move.bind(backend),
    readSync: backend.readSync.bind(backend),
    read: backend.read.bind(backend),
    disposeData: backend.disposeData.bind(backend),
  };

  const recOf = (v: unknown): Rec | undefined =>
    (ArrayBuffer.isView(v) ? recs.get(v.buffer) : undefined);
  const stored = (v: unknown) => {
    const r = recOf(v);
    if (r === undefined) return;
    // A view into the buffer or a second entry holding it: never recycle.
    r.uses += v === r.arr ? 1 : 2;
  };
  const expose = (id: DataId) => {
    const r = recOf(backend.data.get(id)?.values);
    if (r !== undefined) r.exposed = true;
  };

  backend.write = (values, shape, dtype) => { stored(values); return orig.write(values, shape, dtype); };
  backend.move = (id, values, shape, dtype, refCount) => { stored(values); orig.move(id, values, shape, dtype, refCount); };
  backend.readSync = (id) => { expose(id); return orig.readSync(id); };
  backend.read = (id) => { expose(id); return orig.read(id); };
  backend.disposeData = (id, force) => {
    const values = backend.data.get(id)?.values;
    const done = orig.disposeData(id, force);
    if (values === undefined || backend.data.has(id)) return done;
    const r = recOf(values);
    if (r === undefined || r.arr !== values) return done;
    if (r.exposed || r.uses !== 1) {
      if (r.exposed) stats.keptExposed++;
      else stats.keptShared++;
      recs.delete(r.arr.buffer);
      addon.toCollector(r.arr);
    } else {
      recs.delete(r.arr.buffer);
      stats.recycled++;
      const bytes = r.arr.byteLength;
      if (mode === 'arrays' && freeBytes + bytes <= limit) {
        const list = free.get(r.arr.length);
        if (list) list.push(r.arr);
        else free.set(r.arr.length, [r.arr]);
        freeBytes += bytes;
      } else {
        addon.release(r.arr);
      }
    }
    return done;
  };

  return {
    alloc(n: number) {
      let arr = free.get(n)?.pop();
      if (arr !== undefined) {
        freeBytes -= arr.byteLength;
        stats.reusedArrays++;
      } else {
        arr = addon.alloc(n);
      }
      recs.set(arr.buffer, { arr, uses: 0, exposed: false });
      return arr;
    },
    stats: () => ({ ...stats, freeArrayBytes: freeBytes }),
    uninstall() {
      for (const list of free.values()) for (const arr of list) addon.release(arr);
      free.clear();
      freeBytes = 0;
      for (const k of WRAPPED) {
        if (own.get(k)) (backend as unknown as Record<string, unknown>)[k] = before.get(k);
        else delete (backend as unknown as Record<string, unknown>)[k];
      }
    },
  };
}
