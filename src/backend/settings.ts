/**
 * Backend settings: what initBackend and the native kernels are told. Options are passed in
 * (`initBackend({ threads, simd, recycle, fuse })`); environment variables are only the fallback
 * for a setting not given, and this file is the one place that reads them.
 *
 * | option | env fallback | default |
 * |---|---|---|
 * | backend | TRANSMRI_BACKEND | 'auto' |
 * | native | TRANSMRI_NATIVE (0 = off) | true |
 * | threads | TRANSMRI_THREADS | all hardware threads |
 * | simd | TRANSMRI_SIMD | 'auto' (the best the CPU runs) |
 * | recycle | TRANSMRI_RECYCLE (arrays, detach, 0) | 'arrays' |
 * | fuse | TRANSMRI_FUSE (0 = off) | true |
 * | poolMb | TRANSMRI_POOL_MB | the addon's (1024) |
 * | mallocTune | TRANSMRI_MALLOC_TUNE (0 = off) | true |
 * | addonPath | TRANSMRI_NATIVE_PATH | native/build/Release/transmri_native.node above this package |
 *
 * It also sets OMP_WAIT_POLICY=passive before the addon loads, unless given ({@link preferPassiveOpenMp}).
 */
import { OptionError } from './errors.js';

/** Backends transmri can select. */
export type BackendName = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'cpu';

/** The native kernels' SIMD paths, or 'auto'. */
export type SimdSetting = 'auto' | 'sse2' | 'avx2' | 'avx512';

/** How output buffers of native kernels go back to the addon's pool (see native/memory.ts); 'off' = never. */
export type RecycleSetting = 'arrays' | 'detach' | 'off';

/** Settings of the native kernels (each: option, else its environment variable, else the default). */
export interface NativeSettings {
  /** Threads of the native kernels; default all hardware threads (env TRANSMRI_THREADS). */
  threads?: number;
  /** Instruction-set path; default 'auto' (env TRANSMRI_SIMD). */
  simd?: SimdSetting;
  /** Buffer recycling; default 'arrays' (env TRANSMRI_RECYCLE: arrays, detach or 0). */
  recycle?: RecycleSetting;
  /** Bias and activation fused into tfjs-layers' Conv3D kernels, and tfjs' Adam step one kernel per variable; default true (env TRANSMRI_FUSE=0 turns both off). */
  fuse?: boolean;
  /** MiB of free memory the addon's pool may keep; default the addon's 1024 (env TRANSMRI_POOL_MB). */
  poolMb?: number;
  /** Tune glibc malloc for large buffers when the addon loads; default true (env TRANSMRI_MALLOC_TUNE=0 turns it off). */
  mallocTune?: boolean;
  /** Path of the addon; default found above this package (env TRANSMRI_NATIVE_PATH). */
  addonPath?: string;
}

/** The setting names and their environment variables. */
export const SETTING_ENV = {
  backend: 'TRANSMRI_BACKEND',
  native: 'TRANSMRI_NATIVE',
  threads: 'TRANSMRI_THREADS',
  simd: 'TRANSMRI_SIMD',
  recycle: 'TRANSMRI_RECYCLE',
  fuse: 'TRANSMRI_FUSE',
  poolMb: 'TRANSMRI_POOL_MB',
  mallocTune: 'TRANSMRI_MALLOC_TUNE',
  addonPath: 'TRANSMRI_NATIVE_PATH',
} as const;

const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'cpu'];
const SIMDS: readonly SimdSetting[] = ['auto', 'sse2', 'avx2', 'avx512'];

type Env = Record<string, string | undefined>;

/**
 * The settings given in the environment, checked (an OptionError names the variable and its
 * value); settings whose variable is unset are absent.
 * @example settingsFromEnv({ TRANSMRI_THREADS: '2' }) // { threads: 2 }
 */
export function settingsFromEnv(env: Env = process.env): NativeSettings & { backend?: BackendName; native?: boolean } {
  const out: NativeSettings & { backend?: BackendName; native?: boolean } = {};
  const get = (key: keyof typeof SETTING_ENV): string | undefined => env[SETTING_ENV[key]];
  const bad = (key: keyof typeof SETTING_ENV, expected: string): never => {
    throw new OptionError(SETTING_ENV[key], `expected ${expected}, got "${get(key)}"`);
  };
  const backend = get('backend');
  if (backend !== undefined) out.backend = BACKENDS.includes(backend as BackendName) ? (backend as BackendName) : bad('backend', `one of ${BACKENDS.join(', ')}`);
  if (get('native') !== undefined) out.native = get('native') !== '0';
  const threads = get('threads');
  if (threads !== undefined) out.threads = Number.isInteger(Number(threads)) && Number(threads) > 0 && threads.trim() !== '' ? Number(threads) : bad('threads', 'an integer ≥ 1');
  const simd = get('simd');
  if (simd !== undefined) out.simd = SIMDS.includes(simd as SimdSetting) ? (simd as SimdSetting) : bad('simd', `one of ${SIMDS.join(', ')}`);
  const recycle = get('recycle');
  if (recycle !== undefined) out.recycle = recycle === '0' ? 'off' : recycle === 'arrays' || recycle === 'detach' ? recycle : bad('recycle', '0, arrays or detach');
  if (get('fuse') !== undefined) out.fuse = get('fuse') !== '0';
  const pool = get('poolMb');
  if (pool !== undefined) out.poolMb = pool.trim() !== '' && Number.isFinite(Number(pool)) && Number(pool) >= 0 ? Number(pool) : bad('poolMb', 'a number of MiB >= 0');
  if (get('mallocTune') !== undefined) out.mallocTune = get('mallocTune') !== '0';
  if (get('addonPath') !== undefined) out.addonPath = get('addonPath');
  return out;
}

/**
 * Options over the environment: each setting given in `options` wins, the others come from
 * {@link settingsFromEnv}. Option values are checked like the environment's (OptionError naming the option).
 */
export function resolveNativeSettings(options: NativeSettings, env: Env = process.env): NativeSettings {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as NativeSettings;
  if (given.threads !== undefined && !(Number.isInteger(given.threads) && given.threads > 0)) throw new OptionError('threads', `expected an integer ≥ 1, got ${given.threads}`);
  if (given.simd !== undefined && !SIMDS.includes(given.simd)) throw new OptionError('simd', `expected one of ${SIMDS.join(', ')}, got ${JSON.stringify(given.simd)}`);
  if (given.recycle !== undefined && !['arrays', 'detach', 'off'].includes(given.recycle)) throw new OptionError('recycle', `expected arrays, detach or off, got ${JSON.stringify(given.recycle)}`);
  if (given.poolMb !== undefined && !(Number.isFinite(given.poolMb) && given.poolMb >= 0)) throw new OptionError('poolMb', `expected a number of MiB >= 0, got ${given.poolMb}`);
  const fromEnv = settingsFromEnv(env);
  const pick = <K extends keyof NativeSettings>(k: K): NativeSettings[K] => given[k] ?? fromEnv[k];
  return { threads: pick('threads'), simd: pick('simd'), recycle: pick('recycle'), fuse: pick('fuse'), poolMb: pick('poolMb'), mallocTune: pick('mallocTune'), addonPath: pick('addonPath') };
}

/**
 * OpenMP's threads spin between parallel regions by default; on a shared, loaded machine the
 * spinning thread takes the core from the one doing the work (edge-CNN epochs 4-5x slower), while
 * sleeping costs a few microseconds per region. libgomp reads OMP_WAIT_POLICY when the addon
 * loads, so this sets it to 'passive' before that, unless the user set it or GOMP_SPINCOUNT.
 * The only environment variable the library writes.
 */
export function preferPassiveOpenMp(env: Env = process.env): void {
  if (env.OMP_WAIT_POLICY === undefined && env.GOMP_SPINCOUNT === undefined) env.OMP_WAIT_POLICY = 'passive';
}
