// Builds the prebuilt addon shipped in the package (`npm run native:prebuild`,
// called by `prepack`): prebuildify compiles native/ for the running Node's
// N-API into native/prebuilds/<platform>-<arch>/transmri.napi.node, where
// node-gyp-build finds it at install and at run time.
//
// What ships is compiled for baseline x86-64 (binding.gyp has no -march): the
// AVX2 and AVX-512 paths are separate translation units that the addon
// selects by CPUID at run time. Before it is kept, the prebuild is checked:
// AVX instructions only inside those paths (check-isa.mjs), and it loads and
// runs a convolution on every path this CPU supports. A failed check removes
// it and exits 1, so that `npm pack` stops instead of shipping a bad binary.
//
// The build runs in a staging copy (native/build/prebuild-stage), never in
// native/build/Release, which a working tree's own tests use.
//
// Beside the addon it writes transmri.json: the content hash of the sources
// it was built from (native/src, binding.gyp), the C library versions it needs
// (from its dynamic symbol versions) and the ones it was built with. A prebuild
// whose hash matches the current sources is reused (checked again, not
// recompiled), so `npm pack` does not recompile unchanged sources; `--force`
// always rebuilds.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBaselineViolations } from './check-isa.mjs';
import { requiredVersions, sourceHash } from './prebuild-info.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const platformDir = join(here, 'prebuilds', `${process.platform}-${process.arch}`);
const infoFile = join(platformDir, 'transmri.json');
const stage = join(here, 'build', 'prebuild-stage');

function fail(message) {
  console.error(`transmri prebuild: ${message}`);
  rmSync(platformDir, { recursive: true, force: true });
  process.exit(1);
}

/** Checks of a prebuilt addon (AVX only in the run-time paths; it loads and every path agrees); returns the paths or fails. */
function checkAddon(file) {
  if (process.arch === 'x64') {
    const isa = findBaselineViolations(file);
    if (isa.error) console.warn(`transmri prebuild: ISA check skipped (${isa.error})`);
    else if (isa.bad.length > 0) fail(`${file} uses AVX outside the run-time-selected paths: ${isa.bad.map((b) => b.name).join('; ')}`);
  }
  const r = spawnSync(process.execPath, ['-e', probe(file)], { encoding: 'utf8' });
  if (r.status !== 0) fail(`the prebuild does not load or run: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

// Load it in a child process and run one convolution on every path this CPU has.
const probe = (file) => `
const a = require(${JSON.stringify(file)});
const g = Int32Array.from([1, 4, 4, 8, 16, 16, 3, 3, 3, 1, 1, 1, 4, 4, 8, 1, 1, 1]);
const x = Float32Array.from({ length: 4 * 4 * 8 * 16 }, (_, i) => Math.sin(i));
const w = Float32Array.from({ length: 27 * 16 * 16 }, (_, i) => Math.cos(i) / 20);
const outs = a.simdPaths().map((p) => { a.setSimd(p); const y = new Float32Array(x.length); a.conv3d(x, w, g, y, null, 0); return [p, y]; });
const ref = outs[0][1];
for (const [p, y] of outs) for (let i = 0; i < y.length; i++) if (!(Math.abs(y[i] - ref[i]) <= 1e-4 * (1 + Math.abs(ref[i])))) throw new Error(p + ' differs from sse2 at ' + i);
console.log(a.simdPaths().join(', '));
`;

const hash = sourceHash();
const force = process.argv.includes('--force');
const existing = existsSync(platformDir) ? readdirSync(platformDir).filter((f) => f.endsWith('.node')) : [];
let info;
try { info = JSON.parse(readFileSync(infoFile, 'utf8')); } catch { info = undefined; }
if (!force && existing.length === 1 && info?.sourceHash === hash) {
  const file = join(platformDir, existing[0]);
  const paths = checkAddon(file);
  console.log(`transmri prebuild: ${file} is up to date with native/src (sha256 ${hash.slice(0, 12)}); checked, not rebuilt (--force rebuilds; this CPU runs ${paths})`);
  process.exit(0);
}

rmSync(platformDir, { recursive: true, force: true });
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
cpSync(join(here, 'src'), join(stage, 'src'), { recursive: true });
cpSync(join(here, 'binding.gyp'), join(stage, 'binding.gyp'));

// Build against the running Node's own headers when installed (no download).
const nodeDir = dirname(dirname(process.execPath));
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h')) && process.env.npm_config_nodedir === undefined) {
  process.env.npm_config_nodedir = nodeDir;
}
const prebuildify = require('prebuildify');
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
await new Promise((resolve) => {
  prebuildify({
    cwd: stage,
    out: here,
    name: 'transmri',
    napi: true,
    strip: false,
    targets: [{ runtime: 'node', target: process.versions.node }],
    nodeGyp: `"${process.execPath}" "${nodeGyp}"`,
    shell: true,
  }, (err) => {
    if (err) fail(`prebuildify failed: ${err.message ?? err}`);
    resolve();
  });
});
rmSync(stage, { recursive: true, force: true });

const built = existsSync(platformDir) ? readdirSync(platformDir).filter((f) => f.endsWith('.node')) : [];
if (built.length !== 1) fail(`expected one .node in ${platformDir}, found ${built.length}`);
const file = join(platformDir, built[0]);
const paths = checkAddon(file);
const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
const tmpInfo = `${infoFile}.tmp`;
writeFileSync(tmpInfo, `${JSON.stringify({ sourceHash: hash, requires: requiredVersions(file), builtWith: { glibc, node: process.versions.node }, date: new Date().toISOString() }, null, 2)}\n`);
renameSync(tmpInfo, infoFile);
console.log(`transmri prebuild: ${file} (baseline x86-64 with run-time paths; this CPU runs ${paths}; needs ${Object.entries(requiredVersions(file)).map(([k, v]) => `${k} >= ${v}`).join(', ')})`);
