/**
 * Loads transmri's native addon (built by `npm install` from native/) and
 * registers its kernels on the tfjs `cpu` backend. When the addon is absent
 * or fails to load, tfjs' pure-JS kernels stay in place and the reason is
 * reported (once) by initBackend.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon, SimdPath } from './addon.js';
import { NATIVE_KERNELS, registerKernels, unregisterKernels, type SavedKernels } from './kernels.js';
import { installRecycler, type RecyclableBackend, type Recycler, type RecycleMode, type RecyclerStats } from './memory.js';
import { patchConv3DLayers, type Conv3DPatch } from './fused3d.js';
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors.js';

/** State of the native kernels. */
export interface NativeStatus {
  /** True when the addon loaded and its kernels are registered. */
  active: boolean;
  /** Why they are (in)active. */
  reason: string;
  /** Names of the tfjs kernels replaced. */
  kernels: string[];
  /** The addon's instruction-set path in use (when active). */
  simd?: SimdPath;
}

/** Addon functions this version's kernels call (an older build lacks some). */
const REQUIRED_FUNCTIONS: readonly (keyof NativeAddon)[] = ['conv3d', 'alloc', 'release', 'toCollector', 'setPoolLimit', 'memoryStats', 'map', 'fill', 'actGrad'];

/** The package's native/ directory (holds build.mjs; prebuilds/ and build/Release when built), from this module upwards. */
function nativeDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'native', 'build.mjs'))) return join(dir, 'native');
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * Finds the addon as node-gyp-build does: a local build
 * (native/build/Release) first, else the prebuilt one shipped for this
 * platform (native/prebuilds/<platform>-<arch>/); env `TRANSMRI_NATIVE_PATH`
 * names a file instead. Undefined when there is none.
 */
export function findAddonPath(): string | undefined {
  return locateAddon().path;
}

function locateAddon(): { path?: string; missing: string } {
  const override = process.env.TRANSMRI_NATIVE_PATH;
  if (override !== undefined) return existsSync(override) ? { path: override, missing: '' } : { missing: `${override} missing` };
  const dir = nativeDir();
  if (dir === undefined) return { missing: 'native/ directory of the package not found' };
  try {
    const require = createRequire(import.meta.url);
    const gypBuild = require('node-gyp-build') as { resolve(dir: string): string };
    return { path: gypBuild.resolve(dir), missing: '' };
  } catch (error) {
    return { missing: `no prebuilt addon for ${process.platform}-${process.arch} in ${join(dir, 'prebuilds')} and no local build in ${join(dir, 'build', 'Release')} (${(error as Error).message.split('\n')[0]})` };
  }
}

/** Loads the addon, or returns why it could not: not installed, or installed but failed to load. */
export function loadAddon(): { addon?: unknown; reason: string } {
  const { path, missing } = locateAddon();
  if (path === undefined) {
    return { reason: `native addon not installed: ${missing}; using pure-JS kernels (build it with \`npm run native:rebuild\`, needs a C++ compiler)` };
  }
  try {
    // OpenMP's default is to spin between parallel regions; on a shared, loaded machine the
    // spinning thread takes the core from the one doing the work (edge-CNN epochs 4-5x slower).
    // Sleeping threads cost a few microseconds per region. libgomp reads this when the addon loads.
    if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) process.env.OMP_WAIT_POLICY = 'passive';
    const require = createRequire(import.meta.url);
    return { addon: require(path), reason: `loaded ${path}` };
  } catch (error) {
    return { reason: `native addon ${path} installed but failed to load: ${(error as Error).message.split('\n')[0]}; using pure-JS kernels` };
  }
}

// The registration is process-wide like tfjs' own kernel registry; this
// remembers what it replaced so that it can be undone.
let saved: SavedKernels | undefined;
let recycler: Recycler | undefined;
let conv3dPatch: Conv3DPatch | undefined;

/**
 * Registers the native kernels on the cpu backend if the addon loads.
 * Threads: env `TRANSMRI_THREADS`, else all hardware threads. Output
 * buffers of the native kernels go back to the addon's pool when tfjs
 * disposes their tensors (see memory.ts; `TRANSMRI_RECYCLE` = `arrays`
 * (default), `detach` or `0` (off); `TRANSMRI_POOL_MB` caps the free memory
 * kept, default 1024; bad values throw OptionError), and tfjs-layers' Conv3D layers
 * apply bias and activation in the convolution kernel (see fused3d.ts; `TRANSMRI_FUSE=0` turns this off).
 * Calling it again while active is a no-op that reports the same state.
 */
export function registerNativeKernels(): NativeStatus {
  const { addon, reason } = loadAddon();
  if (addon === undefined) return { active: false, reason, kernels: [] };
  const native = addon as NativeAddon;
  const missing = REQUIRED_FUNCTIONS.filter((f) => typeof (native as unknown as Record<string, unknown>)[f] !== 'function');
  if (missing.length > 0) {
    return { active: false, reason: `addon at ${findAddonPath()} is from another version (no ${missing.join(', ')}; rebuild with \`node native/build.mjs\`); using pure-JS kernels`, kernels: [] };
  }
  const kernels = NATIVE_KERNELS.map((k) => k.kernelName);
  if (saved === undefined) {
    if (process.env.TRANSMRI_MALLOC_TUNE !== '0') native.tuneMalloc();
    const poolEnv = process.env.TRANSMRI_POOL_MB;
    if (poolEnv !== undefined) {
      const mb = Number(poolEnv);
      if (poolEnv.trim() === '' || !Number.isFinite(mb) || mb < 0) throw new OptionError('TRANSMRI_POOL_MB', `must be a number of MiB >= 0, got "${poolEnv}"`);
      native.setPoolLimit(mb * 2 ** 20);
    }
    const recycle = process.env.TRANSMRI_RECYCLE ?? 'arrays';
    if (!['0', 'arrays', 'detach'].includes(recycle)) throw new OptionError('TRANSMRI_RECYCLE', `must be 0, arrays or detach, got "${recycle}"`);
    const cpu = recycle === '0' ? undefined : (tf.findBackend('cpu') as unknown as RecyclableBackend | null);
    recycler = cpu ? installRecycler(cpu, native, recycle as RecycleMode) : undefined;
    const r = recycler;
    saved = registerKernels(native, r ? (n) => r.alloc(n) : (n) => native.alloc(n));
    conv3dPatch = process.env.TRANSMRI_FUSE === '0' ? undefined : patchConv3DLayers();
  }
  const simd = typeof native.simd === 'function' ? native.simd() : undefined;
  return { active: true, reason: `${reason} (${simd ?? 'unknown'} path, ${native.threads()} threads)`, kernels, simd };
}

/** Restores the tfjs kernels the native ones replaced (no-op when inactive). */
export function unregisterNativeKernels(): void {
  if (saved === undefined) return;
  conv3dPatch?.restore();
  conv3dPatch = undefined;
  unregisterKernels(saved);
  saved = undefined;
  recycler?.uninstall();
  recycler = undefined;
}

/** The loaded addon's thread count setter (returns the count in effect), or undefined when not loaded. */
export function setNativeThreads(n: number): number | undefined {
  const { addon } = loadAddon();
  return addon === undefined ? undefined : (addon as NativeAddon).setThreads(n);
}

/** Memory counters of the native kernels: the addon's pool and the recycler (undefined when inactive). */
export function nativeMemoryStats(): { pool: ReturnType<NativeAddon['memoryStats']>; recycler?: RecyclerStats } | undefined {
  if (saved === undefined) return undefined;
  const { addon } = loadAddon();
  return addon === undefined ? undefined : { pool: (addon as NativeAddon).memoryStats(), recycler: recycler?.stats() };
}
