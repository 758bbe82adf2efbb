/**
 * Backend selection: the only place that chooses the tf backend.
 *
 * Order when `backend` is 'auto': `@tensorflow/tfjs-node-gpu` (CUDA) if it is
 * installed, else `@tensorflow/tfjs-node` (libtensorflow on the CPU), else the
 * tfjs `cpu` backend with transmri's native kernels (or tfjs' pure-JS kernels
 * when the addon is not built). The `backend` option forces one, else the environment variable
 * `TRANSMRI_BACKEND` (settings.ts reads the environment, for every setting not given).
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, rejectUnknownOptions } from './errors.js';
import { registerNativeKernels, type NativeStatus } from './native/register.js';
import { settingsFromEnv, type BackendName, type NativeSettings } from './settings.js';
import { probeNodeBinding, type BindingProbe } from './detect.js';

export type { BackendName } from './settings.js';

/**
 * Options of {@link initBackend}: the backend, and the native kernels' settings (threads, simd,
 * recycle, fuse, poolMb, mallocTune, addonPath; see settings.ts). A setting not given falls back
 * to its environment variable (TRANSMRI_BACKEND, TRANSMRI_THREADS, ...), then to its default.
 */
export interface InitBackendOptions extends NativeSettings {
  /** Backend to use; default env TRANSMRI_BACKEND, else 'auto'. */
  backend?: BackendName;
  /** Use the native kernels on the cpu backend when the addon loads; default true (env TRANSMRI_NATIVE=0 turns them off). */
  native?: boolean;
  /** Where the choice is logged; default `console.log`. Pass `() => {}` for silence. */
  log?: (message: string) => void;
}

/** Defaults of {@link InitBackendOptions}. */
export const DEFAULT_INIT_BACKEND: Required<Pick<InitBackendOptions, 'native' | 'log'>> & { backend: BackendName } & NativeSettings = {
  backend: 'auto',
  native: true,
  log: (message: string) => console.log(message),
  threads: undefined,
  simd: undefined,
  recycle: undefined,
  fuse: undefined,
  poolMb: undefined,
  mallocTune: undefined,
  addonPath: undefined,
};

/** What {@link initBackend} chose and why. */
export interface BackendInfo {
  /** tf backend name as tfjs knows it ('tensorflow' or 'cpu'). */
  name: string;
  /** The package that provides it. */
  package: string;
  /** Whether a GPU is used. */
  gpu: boolean;
  /** Why this backend was chosen. */
  reason: string;
  /** State of transmri's native kernels (only on the cpu backend). */
  native: NativeStatus;
  /** tfjs-core version. */
  tfjsVersion: string;
}

const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'cpu'];

/**
 * Chooses and initialises the tf backend, logs the choice, and returns it.
 * @example
 * const info = await initBackend();            // auto
 * const cpu = await initBackend({ backend: 'cpu', native: false });
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  rejectUnknownOptions('InitBackendOptions', options, DEFAULT_INIT_BACKEND);
  // the environment is read in one place (settings.ts), and only for what the options leave out
  const env = settingsFromEnv();
  const requested = options.backend ?? env.backend ?? 'auto';
  const source = options.backend !== undefined ? 'option backend' : env.backend !== undefined ? 'TRANSMRI_BACKEND' : 'default';
  if (!BACKEND_NAMES.includes(requested)) throw new OptionError('backend', `unknown backend "${requested}" (expected ${BACKEND_NAMES.join(', ')})`);
  const useNative = options.native ?? env.native ?? true;
  const { threads, simd, recycle, fuse, poolMb, mallocTune, addonPath } = options;
  const log = options.log ?? DEFAULT_INIT_BACKEND.log;

  let info: BackendInfo | undefined;
  // What each tfjs Node binding tried in auto mode was: not installed, or installed but failed to load.
  const skipped: BindingProbe[] = [];
  if (requested === 'tensorflow-gpu' || requested === 'auto') {
    info = await tryNodeBinding('@tensorflow/tfjs-node-gpu', true, requested === 'auto', skipped);
  }
  if (!info && (requested === 'tensorflow' || requested === 'auto')) {
    info = await tryNodeBinding('@tensorflow/tfjs-node', false, requested === 'auto', skipped);
  }
  if (!info) {
    await tf.setBackend('cpu');
    await tf.ready();
    // tfjs' cpu backend greets Node users once, on first write, with advice to
    // install tfjs-node; our own log line already says which backend runs and why.
    const cpuBackend = tf.backend() as unknown as { firstUse?: boolean };
    if (typeof cpuBackend.firstUse === 'boolean') cpuBackend.firstUse = false;
    const native = useNative ? registerNativeKernels({ threads, simd, recycle, fuse, poolMb, mallocTune, addonPath }) : { active: false, reason: 'native kernels turned off', kernels: [] };
    const why = requested === 'cpu' ? `forced by ${source}` : nodeBindingsReason(skipped);
    info = {
      name: 'cpu',
      package: '@tensorflow/tfjs',
      gpu: false,
      reason: why,
      native,
      tfjsVersion: tf.version_core,
    };
  }
  log(`transmri: backend ${info.name} (${info.package}${info.gpu ? ', GPU' : ''}): ${info.reason}` +
    (info.name === 'cpu' ? `; native kernels ${info.native.active ? `active (${info.native.simd ?? 'unknown'} path)` : 'inactive'}: ${info.native.reason}` : ''));
  if (info.name === 'cpu' && !info.native.active && useNative) log(nativeUnavailableWarning(info.native.reason));
  return info;
}

/** What the pure-JS fallback costs, measured on the README quick start (2-core VM). */
export const PURE_JS_SLOWDOWN = 'about 20x slower training (README quick start: 22 s with native kernels, 7 min 53 s without)';

/** The warning logged when the native kernels were wanted but are unavailable. */
export function nativeUnavailableWarning(reason: string): string {
  return `transmri: WARNING: native kernels unavailable (${reason}). tfjs' pure-JS kernels run instead: ${PURE_JS_SLOWDOWN}. ` +
    'Fix: reinstall transmri where its prebuilt linux-x64 addon loads, or install a C++ compiler and run `npm rebuild transmri`; ' +
    'pass { native: false } to initBackend to silence this.';
}

/**
 * Why auto mode fell back to the cpu backend: each tfjs Node binding is "not
 * installed" (optional) or "installed but failed to load: <reason>".
 * @example nodeBindingsReason([{ state: 'missing', package: '@tensorflow/tfjs-node-gpu', reason: '...' }, ...])
 */
export function nodeBindingsReason(probes: readonly BindingProbe[]): string {
  if (probes.length > 0 && probes.every((p) => p.state === 'missing')) return '@tensorflow/tfjs-node(-gpu) not installed (optional)';
  return probes.map((p) => (p.state === 'missing' ? `${p.package} not installed (optional)` : p.reason)).join('; ');
}

async function tryNodeBinding(pkg: string, gpu: boolean, optional: boolean, skipped: BindingProbe[]): Promise<BackendInfo | undefined> {
  const probe = await probeNodeBinding(pkg);
  if (probe.state !== 'loaded') {
    if (optional) {
      skipped.push(probe);
      return undefined;
    }
    throw new OptionError('backend', probe.state === 'missing' ? `${pkg} is not installed` : `${probe.reason}`);
  }
  await tf.setBackend('tensorflow');
  await tf.ready();
  return {
    name: 'tensorflow',
    package: pkg,
    gpu,
    reason: optional ? `${pkg} is installed` : `forced; ${pkg} loaded`,
    native: { active: false, reason: 'not needed on the tensorflow backend', kernels: [] },
    tfjsVersion: tf.version_core,
  };
}
