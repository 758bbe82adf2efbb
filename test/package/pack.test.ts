/**
 * The package as a user gets it: `npm pack` (prepare builds dist/, prepack the native prebuild when
 * the project has one), `npm install` of the tarball into a fresh app (dependencies from the npm
 * registry), then the README quick start as written, type-checked against the installed .d.ts and
 * run; `require('transmri')` must fail saying to use import; the `transmri` bin must run from dist/.
 * The shipped prebuilt addon must match the sources (the content hash in its transmri.json);
 * prepack reuses a prebuild already built from the same sources (native/prebuild.mjs), so only
 * the first run after a change to native/src compiles (~3.5 min more on 2 loaded cores). Otherwise
 * 4.6 min measured at load 7 (the TypeScript build ~1.7 min, install ~1 min with the prebuilt addon,
 * the quick start 71 s, the bin 28 s); the prebuild step itself then takes 5 s instead of 3.5 min.
 * TRANSMRI_SKIP_PACK_TEST=1 skips it (for quick local loops; CI runs it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeQuickStart } from '../helpers/readme.js';
import { EXPERIMENTS } from '../../src/cli/commands/run.js';
// @ts-expect-error: plain ESM script without types
import { sourceHash } from '../../native/prebuild-info.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const skip = process.env.TRANSMRI_SKIP_PACK_TEST === '1';
const require = createRequire(import.meta.url);
const tsxLoader = require.resolve('tsx');
const tscBin = require.resolve('typescript/bin/tsc');

let tmp = '';
let app = '';

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_yes: 'true' }, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function must(r: { status: number | null; stdout: string; stderr: string }, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

describe.skipIf(skip)('packed tarball installed into a fresh app', () => {
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'transmri-pack-'));
    must(run('npm', ['pack', '--pack-destination', tmp, '--loglevel', 'warn'], repo, 300_000), 'npm pack');
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no tarball into ${tmp}`);
    app = join(tmp, 'app');
    must(run('mkdir', ['-p', app], tmp, 10_000), 'mkdir');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'transmri-pack-test', private: true, type: 'module' }));
    must(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'warn', join(tmp, tarball)], app, 540_000), 'npm install of the tarball');
  }, 900_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships dist/, the bin, the LICENSE and no sources or tests', () => {
    const pkg = join(app, 'node_modules', 'transmri');
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/scripts/demo.js', 'bin/transmri.js', 'LICENSE', 'esm-only.cjs']) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/MIT License[\s\S]*transmri contributors/);
    for (const f of ['src', 'test', 'scripts', 'bench']) expect(existsSync(join(pkg, f)), f).toBe(false);
  });

  it('ships a linux-x64 prebuilt addon built from the sources it ships, with what it needs recorded', () => {
    const pre = join(app, 'node_modules', 'transmri', 'native', 'prebuilds', `linux-${process.arch}`);
    if (process.platform !== 'linux') return; // prepack makes the prebuild for the platform it runs on; only linux is shipped
    const info = JSON.parse(readFileSync(join(pre, 'transmri.json'), 'utf8')) as { sourceHash: string; requires: Record<string, string> };
    expect(existsSync(join(pre, 'transmri.node'))).toBe(true);
    expect(info.sourceHash).toBe(sourceHash(join(app, 'node_modules', 'transmri', 'native')));
    expect(info.sourceHash).toBe(sourceHash(join(repo, 'native')));
    expect(info.requires.GLIBC).toMatch(/^2\.\d+$/);
  });

  it('runs the README quick start as written (type-checked against the installed types)', () => {
    writeFileSync(join(app, 'quickstart.ts'), readmeQuickStart());
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['quickstart.ts'] }),
    );
    must(run(process.execPath, [tscBin, '-p', 'tsconfig.json'], app, 120_000), 'tsc on the quick start');
    const out = must(run(process.execPath, ['--import', tsxLoader, 'quickstart.ts'], app, 600_000), 'the quick start');
    expect(out).toMatch(/native kernels active/); // the shipped prebuilt addon (or the install-time build) loads
    expect(out).toMatch(/balanced ?accuracy/i);
  }, 700_000);

  it("require('transmri') fails with a message saying to use import", () => {
    const r = run(process.execPath, ['-e', "require('transmri')"], app, 30_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/transmri is ESM-only: load it with `import \{ \.\.\. \} from 'transmri'`/);
  });

  it('the transmri bin runs from dist/ (help, and an experiment from dist/scripts)', () => {
    const bin = join(app, 'node_modules', '.bin', 'transmri');
    expect(must(run(bin, ['--help'], app, 30_000), 'transmri --help')).toMatch(/Usage: transmri/);
    expect(must(run(bin, ['run', 'demo', '--help'], app, 60_000), 'transmri run demo --help')).toMatch(/--seed/);
    const bad = run(bin, ['run', 'nope'], app, 30_000);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(`transmri: option experiment: unknown experiment "nope" (known: ${Object.keys(EXPERIMENTS).join(', ')})\n`);
  });
});
