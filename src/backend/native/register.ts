/**
 * Loads transmri's native addon (built by `npm install` from native/) and
 * registers its kernels on the tfjs `cpu` backend. When the addon is absent
 * or fails to load, tfjs' pure-JS kernels stay in place and the reason is
 * reported (once) by initBackend.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon, SimdPath } from './addon.js';
import { NATIVE_KERNELS, registerKernels, unregisterKernels, type SavedKernels } from './kernels.js';
import { installRecycler, type RecyclableBackend, type Recycler, type RecycleMode, type RecyclerStats } from './memory.js';
import { patchConv3DLayers, type Conv3DPatch } from './fused3d.js';
import { patchAdam, type AdamPatch } from './adam.js';
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors.js';
import { preferPassiveOpenMp, resolveNativeSettings, settingsFromEnv, type NativeSettings } from '../settings.js';

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
const REQUIRED_FUNCTIONS: readonly (keyof NativeAddon)[] = ['conv3d', 'alloc', 'release', 'toCollector', 'setPoolLimit', 'memoryStats', 'map', 'fill', 'actGrad', 'actGradBias', 'adamUpdate'];

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
 * platform (native/prebuilds/<platform>-<arch>/); `addonPath` (default env
 * `TRANSMRI_NATIVE_PATH`) names a file instead. Undefined when there is none.
 */
export function findAddonPath(addonPath: string | undefined = settingsFromEnv().addonPath): string | undefined {
  return locateAddon(addonPath).path;
}

function locateAddon(override: string | undefined): { path?: string; missing: string } {
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
export function loadAddon(addonPath: string | undefined = settingsFromEnv().addonPath): { addon?: unknown; reason: string } {
  const { path, missing } = locateAddon(addonPath);
  if (path === undefined) {
    return { reason: `native addon not installed: ${missing}; using pure-JS kernels (build it with \`npm run native:rebuild\`, needs a C++ compiler)` };
  }
  try {
    preferPassiveOpenMp();
    const require = createRequire(import.meta.url);
    return { addon: require(path), reason: `loaded ${path}` };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    return { reason: `native addon ${path} installed but failed to load: ${message}${explainLoadError(message, path)}; using pure-JS kernels` };
  }
}

/** The glibc version of this process ('' when unknown, e.g. musl). */
function runtimeGlibc(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? '';
}

/**
 * Explains a dynamic loader error about a missing C/C++ library version (a prebuild compiled
 * against a newer glibc or libstdc++ than this system has): what the addon needs (from the
 * transmri.json that native/prebuild.mjs writes beside it, when present), what this system has,
 * and the fix. '' for any other error.
 */
export function explainLoadError(message: string, addonFile: string): string {
  const missing = /version [`']((?:GLIBC|GLIBCXX|CXXABI)_[\d.]+)' not found/.exec(message)?.[1];
  if (missing === undefined) return '';
  let needs = '';
  try {
    const info = JSON.parse(readFileSync(join(dirname(addonFile), 'transmri.json'), 'utf8')) as { requires?: Record<string, string> };
    needs = Object.entries(info.requires ?? {}).filter(([k]) => k !== 'GOMP').map(([k, v]) => `${k === 'GLIBC' ? 'glibc' : k} >= ${v}`).join(', ');
  } catch {
    // no info file: the missing version alone
  }
  const glibc = runtimeGlibc();
  return ` (the addon was compiled against newer C/C++ libraries than this system's: it needs ${needs || missing}${glibc ? `, this system has glibc ${glibc}` : ''};` +
    ' compile it here with `npm rebuild transmri`, which needs a C++ compiler)';
}

// The registration is process-wide like tfjs' own kernel registry; this
// remembers what it replaced so that it can be undone.
let saved: SavedKernels | undefined;
let recycler: Recycler | undefined;
let conv3dPatch: Conv3DPatch | undefined;
let adamPatch: AdamPatch | undefined;

/**
 * Registers the native kernels on the cpu backend if the addon loads, with `options` over their
 * environment variables (settings.ts): threads (default all hardware threads) and SIMD path;
 * output buffers of the native kernels go back to the addon's pool when tfjs disposes their
 * tensors (memory.ts; recycle 'arrays' (default), 'detach' or 'off'; poolMb caps the free memory
 * kept, default 1024), and tfjs-layers' Conv3D layers apply bias and activation in the convolution
 * kernel (fused3d.ts) and tfjs' Adam updates each variable in one kernel (adam.ts, bit-identical results;
 * fuse: false turns both off). Bad values throw OptionError. Calling it again
 * while active applies threads and simd and reports the same state.
 */
export function registerNativeKernels(options: NativeSettings = {}): NativeStatus {
  const s = resolveNativeSettings(options);
  const { addon, reason } = loadAddon(s.addonPath);
  if (addon === undefined) return { active: false, reason, kernels: [] };
  const native = addon as NativeAddon;
  const missing = REQUIRED_FUNCTIONS.filter((f) => typeof (native as unknown as Record<string, unknown>)[f] !== 'function');
  if (missing.length > 0) {
    return { active: false, reason: `addon at ${findAddonPath(s.addonPath)} is from another version (no ${missing.join(', ')}; rebuild with \`node native/build.mjs\`); using pure-JS kernels`, kernels: [] };
  }
  const kernels = NATIVE_KERNELS.map((k) => k.kernelName);
  if (s.threads !== undefined) native.setThreads(s.threads);
  if (s.simd !== undefined) {
    try {
      native.setSimd(s.simd);
    } catch (error) {
      throw new OptionError('simd', `${(error as Error).message} (this CPU runs ${native.simdPaths().join(', ')})`);
    }
  }
  if (saved === undefined) {
    if (s.mallocTune !== false) native.tuneMalloc();
    if (s.poolMb !== undefined) native.setPoolLimit(s.poolMb * 2 ** 20);
    const recycle = s.recycle ?? 'arrays';
    const cpu = recycle === 'off' ? undefined : (tf.findBackend('cpu') as unknown as RecyclableBackend | null);
    recycler = cpu ? installRecycler(cpu, native, recycle as RecycleMode) : undefined;
    const r = recycler;
    saved = registerKernels(native, r ? (n) => r.alloc(n) : (n) => native.alloc(n));
    conv3dPatch = s.fuse === false ? undefined : patchConv3DLayers();
    adamPatch = s.fuse === false ? undefined : patchAdam();
  }
  const simd = typeof native.simd === 'function' ? native.simd() : undefined;
  return { active: true, reason: `${reason} (${simd ?? 'unknown'} path, ${native.threads()} threads)`, kernels, simd };
}

/** Restores the tfjs kernels the native ones replaced (no-op when inactive). */
export function unregisterNativeKernels(): void {
  if (saved === undefined) return;
  conv3dPatch?.restore();
  conv3dPatch = undefined;
  adamPatch?.restore();
  adamPatch = undefined;
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
