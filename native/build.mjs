// Install step of transmri's native kernels (`npm install` runs it).
//
// 1. If an addon loads (the prebuilt one shipped in native/prebuilds/, or a
//    local build in native/build/Release), use it: no compiler needed.
// 2. Otherwise compile native/ with node-gyp (needs a C++ compiler).
// 3. If that fails too, warn loudly: the library then runs tfjs' pure-JS
//    kernels, many times slower. Installation itself never fails.
//
// `node native/build.mjs --rebuild` (or TRANSMRI_BUILD_FROM_SOURCE=1) always
// compiles, for work on the C++ sources; TRANSMRI_SKIP_NATIVE=1 skips the
// compile (a prebuild that loads is still used at run time).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prebuildInfo } from './prebuild-info.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const rebuild = process.argv.includes('--rebuild') || process.env.TRANSMRI_BUILD_FROM_SOURCE === '1';

/** Measured on the README quick start (2-core VM): what the pure-JS fallback costs. */
const SLOWDOWN = 'about 20x slower training (README quick start: 22 s with native kernels, 7 min 53 s without)';

function warnLoudly(lines) {
  const text = ['transmri: WARNING: native kernels unavailable', ...lines,
    `transmri will run on tfjs' pure-JS kernels: ${SLOWDOWN}.`,
    'Fix: install a C++ compiler (e.g. apt-get install g++ make python3) and run `npm rebuild transmri`.'];
  const width = Math.max(...text.map((l) => l.length));
  const bar = '!'.repeat(width + 4);
  const box = [bar, ...text.map((l) => `! ${l.padEnd(width)} !`), bar].join('\n');
  console.warn(box);
  // npm (7+) shows an install script's output only when it fails; write to the
  // terminal directly as well, so that the warning is seen at install time.
  try {
    if (process.env.npm_lifecycle_event === 'install') writeFileSync('/dev/tty', `${box}\n`);
  } catch {
    // no terminal (CI, nohup): initBackend() repeats the warning at run time
  }
}

/** Loads the addon node-gyp-build finds, in a child process (a crash must not end the install). */
function probe() {
  const script = `
    const load = require(${JSON.stringify(require.resolve('node-gyp-build'))});
    const file = load.resolve(${JSON.stringify(here)});
    const a = require(file);
    console.log(JSON.stringify({ file, simd: a.simd(), paths: a.simdPaths() }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (r.status === 0) {
    try { return { ok: JSON.parse(r.stdout.trim().split('\n').pop()) }; } catch { /* fall through */ }
  }
  const err = (r.stderr || r.stdout || '').trim().split('\n').find((l) => /Error|error:/.test(l)) ?? `exit status ${r.status}`;
  return { error: err.replace(/^\s*(Uncaught\s+)?/, '') };
}

function compile() {
  let gyp;
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return 'node-gyp not found';
  }
  if (!existsSync(join(here, 'binding.gyp'))) return 'native/binding.gyp missing';
  const args = [gyp, 'rebuild', '--release'];
  // Build against the local Node headers when they are installed (no download).
  const nodeDir = dirname(dirname(process.execPath));
  if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
  console.log('transmri: compiling the native kernels (node-gyp) ...');
  const r = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
  return r.status === 0 ? undefined : `node-gyp exited with status ${r.status ?? r.signal}`;
}

/** A loader error about a missing glibc/libstdc++ version, explained (the prebuild was compiled against newer ones). */
function explainLoadError(error) {
  const missing = /version [`']((?:GLIBC|GLIBCXX|CXXABI)_[\d.]+)' not found/.exec(error ?? '')?.[1];
  if (missing === undefined) return undefined;
  const needs = Object.entries(prebuildInfo()?.requires ?? {}).filter(([k]) => k !== 'GOMP').map(([k, v]) => `${k === 'GLIBC' ? 'glibc' : k} >= ${v}`).join(', ');
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  return `The prebuilt addon needs ${needs || missing}${glibc ? `; this system has glibc ${glibc}` : ''}.`;
}

const describe = (p) => `${p.file} (path ${p.simd}; this CPU runs ${p.paths.join(', ')})`;

const first = rebuild ? undefined : probe();
if (first?.ok) {
  console.log(`transmri: native kernels ready: ${describe(first.ok)}`);
  process.exit(0);
}
if (process.env.TRANSMRI_SKIP_NATIVE === '1') {
  warnLoudly([`No loadable prebuilt addon (${first?.error ?? 'not checked'}), and TRANSMRI_SKIP_NATIVE=1 skips the compile.`]);
  process.exit(0);
}
const libc = explainLoadError(first?.error);
if (first) console.log(`transmri: no loadable prebuilt addon (${first.error}); ${libc ? `${libc} ` : ''}building from source`);
const failure = compile();
const second = failure === undefined ? probe() : undefined;
if (second?.ok) {
  console.log(`transmri: native kernels built: ${describe(second.ok)}`);
} else {
  warnLoudly([
    `Prebuilt addon: ${first?.error ?? 'skipped (--rebuild)'}.`,
    ...(libc ? [libc] : []),
    `Build from source: ${failure ?? `built, but does not load: ${second?.error}`}.`,
  ]);
}
process.exit(0);
