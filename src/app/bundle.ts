/**
 * The browser bundles, built with esbuild from src/browser/: `transmri-runtime.mjs` (ESM, the runtime
 * API) and `transmri-app.js` (a classic script for the static app, so it runs from file://). `npm run
 * build:browser` writes them to dist/browser/ (part of `npm run build`); from a source checkout,
 * {@link browserBundle} builds them on demand when they are missing or older than the sources. The
 * binaries of @tensorflow/tfjs-backend-wasm (the version bundled) are copied to dist/browser/wasm/.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FormatError } from '../backend/errors.js';
import { packageRoot, runningFromSource } from '../backend/package-root.js';

/** The bundle files, by role. */
export const BROWSER_BUNDLES = { runtime: 'transmri-runtime.mjs', app: 'transmri-app.js' } as const;

/** The binaries of @tensorflow/tfjs-backend-wasm (plain, SIMD, threaded SIMD), copied beside the bundles into `wasm/`. */
export const WASM_BINARY_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/** Where the bundles live: `<package>/dist/browser`. */
export function browserBundleDir(): string {
  return join(packageRoot(), 'dist', 'browser');
}

/**
 * Builds both bundles with esbuild (a devDependency: available in a source checkout).
 * @returns the output folder
 */
export async function buildBrowserBundles(outDir: string = browserBundleDir()): Promise<string> {
  const esbuild = await import('esbuild');
  const root = packageRoot();
  const common = { bundle: true, platform: 'browser' as const, target: 'es2022', minify: true, legalComments: 'none' as const, logLevel: 'error' as const, absWorkingDir: root };
  const inputs = new Set<string>();
  for (const [entry, format, file] of [['runtime.ts', 'esm', BROWSER_BUNDLES.runtime], ['app.ts', 'iife', BROWSER_BUNDLES.app]] as const) {
    const result = await esbuild.build({ ...common, entryPoints: [join(root, 'src', 'browser', entry)], format, outfile: join(outDir, file), metafile: true });
    for (const input of Object.keys(result.metafile.inputs)) if (!input.includes('node_modules') && !input.startsWith('(')) inputs.add(input);
  }
  const wasmSrc = dirname(createRequire(join(root, 'package.json')).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  await mkdir(join(outDir, 'wasm'), { recursive: true });
  for (const f of WASM_BINARY_FILES) await copyFile(join(wasmSrc, f), join(outDir, 'wasm', f));
  // the sources the bundles were built from, so a checkout rebuilds them only when one of those changes
  await writeFile(join(outDir, SOURCES_FILE), JSON.stringify([...inputs].sort(), null, 1));
  return outDir;
}

const SOURCES_FILE = 'sources.json';

/** Whether a bundle is missing or older than one of the sources it was built from. */
function stale(file: string): boolean {
  const list = join(browserBundleDir(), SOURCES_FILE);
  if (!existsSync(file) || !existsSync(list) || WASM_BINARY_FILES.some((f) => !existsSync(join(browserBundleDir(), 'wasm', f)))) return true;
  const built = statSync(file).mtimeMs;
  const root = packageRoot();
  return (JSON.parse(readFileSync(list, 'utf8')) as string[]).some((p) => !existsSync(join(root, p)) || statSync(join(root, p)).mtimeMs > built);
}

/**
 * The path of a bundle, building it first in a source checkout when it is missing or stale.
 * @throws FormatError in an installed package built without it (run `npm run build:browser`)
 */
export async function browserBundle(role: keyof typeof BROWSER_BUNDLES): Promise<string> {
  const file = join(browserBundleDir(), BROWSER_BUNDLES[role]);
  if (runningFromSource()) {
    if (stale(file)) await buildBrowserBundles();
    return file;
  }
  if (!existsSync(file)) throw new FormatError('the browser bundle is missing from this installation (build it with `npm run build:browser`)', file);
  return file;
}

/**
 * The paths of the wasm backend's three binaries (built with the bundles).
 * @throws FormatError in an installed package built without them (run `npm run build:browser`)
 */
export async function browserWasmFiles(): Promise<string[]> {
  await browserBundle('app');
  const files = WASM_BINARY_FILES.map((f) => join(browserBundleDir(), 'wasm', f));
  const missing = files.find((f) => !existsSync(f));
  if (missing) throw new FormatError('the wasm backend binary is missing from this installation (build it with `npm run build:browser`)', missing);
  return files;
}
