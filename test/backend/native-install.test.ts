// The install step (native/build.mjs) in a temporary copy of the package
// layout: a prebuilt addon that loads is used without a compiler
// (CXX=/bin/false); without a loadable one and without a compiler the install
// still succeeds, but warns loudly with the expected slowdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findAddonPath, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { initBackend } from '../../src/backend/init.js';

const repo = resolve(import.meta.dirname, '..', '..');
const addon = findAddonPath();

/** A package root with native/build.mjs, the sources and node_modules; returns its path. */
function packageCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'transmri-install-'));
  mkdirSync(join(dir, 'native'));
  copyFileSync(join(repo, 'native', 'build.mjs'), join(dir, 'native', 'build.mjs'));
  copyFileSync(join(repo, 'native', 'prebuild-info.mjs'), join(dir, 'native', 'prebuild-info.mjs'));
  copyFileSync(join(repo, 'native', 'binding.gyp'), join(dir, 'native', 'binding.gyp'));
  cpSync(join(repo, 'native', 'src'), join(dir, 'native', 'src'), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/**
 * The addon with its highest GLIBC_2.x symbol version renamed to GLIBC_2.99 (same length, in the
 * dynamic string table): the dynamic loader then refuses it exactly as it refuses a prebuild
 * compiled against a newer glibc than this system's ("version `GLIBC_2.99' not found").
 */
function needsFutureGlibc(file: string): { bytes: Buffer; renamed: string } {
  const bytes = readFileSync(file);
  const versions = [...new Set(bytes.toString('latin1').match(/GLIBC_2\.\d\d(?![\d.])/g) ?? [])].sort();
  const renamed = versions[versions.length - 1];
  if (renamed === undefined) throw new Error(`${file} has no GLIBC_2.xx symbol version`);
  for (let at = bytes.indexOf(renamed); at >= 0; at = bytes.indexOf(renamed, at + 1)) bytes.write('GLIBC_2.99', at, 'latin1');
  return { bytes, renamed };
}

function install(dir: string) {
  const r = spawnSync(process.execPath, ['native/build.mjs'], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, CXX: '/bin/false', CC: '/bin/false', TRANSMRI_BUILD_FROM_SOURCE: '' },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** Runs `fn` with TRANSMRI_NATIVE_PATH set to `file`, restoring the variable after. */
function withNativePath(file: string, fn: () => void): void {
  const saved = process.env.TRANSMRI_NATIVE_PATH;
  process.env.TRANSMRI_NATIVE_PATH = file;
  try {
    fn();
  } finally {
    if (saved === undefined) delete process.env.TRANSMRI_NATIVE_PATH;
    else process.env.TRANSMRI_NATIVE_PATH = saved;
  }
}

describe.skipIf(addon === undefined || process.platform !== 'linux')('native install step', () => {
  const dirs: string[] = [];
  beforeAll(() => { /* each test makes its own copy */ });
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('uses a prebuilt addon that loads, with no compiler, and reports its instruction-set path', () => {
    const dir = packageCopy();
    dirs.push(dir);
    const pre = join(dir, 'native', 'prebuilds', `linux-${process.arch}`);
    mkdirSync(pre, { recursive: true });
    copyFileSync(addon as string, join(pre, 'transmri.node'));
    const r = install(dir);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/native kernels ready: .*prebuilds\/linux-x64\/transmri\.node \(path (sse2|avx2|avx512); this CPU runs sse2/);
    expect(r.out).not.toMatch(/compiling|WARNING/);
  });

  it('without a loadable prebuild and without a compiler: exit 0, a loud warning with both reasons and the slowdown', () => {
    const dir = packageCopy();
    dirs.push(dir);
    const pre = join(dir, 'native', 'prebuilds', `linux-${process.arch}`);
    mkdirSync(pre, { recursive: true });
    writeFileSync(join(pre, 'transmri.node'), 'not an ELF file');
    const r = install(dir);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/no loadable prebuilt addon \(.*(invalid ELF header|too short)/);
    expect(r.out).toContain('WARNING: native kernels unavailable');
    expect(r.out).toMatch(/Build from source: node-gyp exited with status/);
    expect(r.out).toContain('22 s with native kernels, 7 min 53 s without');
  }, 120_000);

  it('a prebuild that needs a newer glibc than this system has: compiles instead (no compiler: the warning says what it needs and has)', () => {
    const dir = packageCopy();
    dirs.push(dir);
    const pre = join(dir, 'native', 'prebuilds', `linux-${process.arch}`);
    mkdirSync(pre, { recursive: true });
    writeFileSync(join(pre, 'transmri.node'), needsFutureGlibc(addon as string).bytes);
    writeFileSync(join(pre, 'transmri.json'), JSON.stringify({ sourceHash: 'x', requires: { GLIBC: '2.99', GLIBCXX: '3.4.29', GOMP: '4.0' } }));
    const r = install(dir);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/no loadable prebuilt addon \(.*version `GLIBC_2\.99' not found.*\); The prebuilt addon needs glibc >= 2\.99, GLIBCXX >= 3\.4\.29; this system has glibc \d+\.\d+\. building from source/);
    expect(r.out).toContain('compiling the native kernels (node-gyp)');
    expect(r.out).toContain('WARNING: native kernels unavailable');
    expect(r.out).toMatch(/! The prebuilt addon needs glibc >= 2\.99/);
    expect(r.out).toMatch(/Build from source: node-gyp exited with status/);
    expect(r.out).toContain('22 s with native kernels, 7 min 53 s without');
  }, 120_000);

  it('at run time, a prebuild refused for its glibc version is explained: what it needs, what this system has, the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'transmri-glibc-'));
    dirs.push(dir);
    const file = join(dir, 'transmri.node');
    writeFileSync(file, needsFutureGlibc(addon as string).bytes);
    writeFileSync(join(dir, 'transmri.json'), JSON.stringify({ requires: { GLIBC: '2.99', GLIBCXX: '3.4.29' } }));
    withNativePath(file, () => {
      unregisterNativeKernels();
      const st = registerNativeKernels();
      expect(st.active).toBe(false);
      expect(st.reason).toMatch(/installed but failed to load: .*version `GLIBC_2\.99' not found .*\(the addon was compiled against newer C\/C\+\+ libraries than this system's: it needs glibc >= 2\.99, GLIBCXX >= 3\.4\.29, this system has glibc \d+\.\d+; compile it here with `npm rebuild transmri`, which needs a C\+\+ compiler\); using pure-JS kernels$/);
    });
  });

  it('at run time, an addon file that does not load is reported as installed but failed to load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'transmri-badaddon-'));
    dirs.push(dir);
    const file = join(dir, 'transmri.node');
    writeFileSync(file, 'not an ELF file');
    withNativePath(file, () => {
      unregisterNativeKernels();
      const st = registerNativeKernels();
      expect(st.active).toBe(false);
      expect(st.reason).toMatch(/^native addon .*transmri\.node installed but failed to load: .*(invalid ELF header|too short); using pure-JS kernels$/);
    });
    withNativePath(join(dir, 'absent.node'), () => {
      expect(registerNativeKernels().reason).toMatch(/^native addon not installed: .*absent\.node missing/);
    });
  });

  it('initBackend reports the instruction-set path in use, and warns loudly with the slowdown when the kernels are unavailable', async () => {
    const saved = process.env.TRANSMRI_NATIVE_PATH;
    try {
      unregisterNativeKernels();
      const messages: string[] = [];
      const info = await initBackend({ backend: 'cpu', log: (m) => messages.push(m) });
      expect(info.native.active).toBe(true);
      expect(['sse2', 'avx2', 'avx512']).toContain(info.native.simd);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain(`native kernels active (${info.native.simd} path)`);
      unregisterNativeKernels();
      process.env.TRANSMRI_NATIVE_PATH = '/nonexistent/transmri.napi.node';
      messages.length = 0;
      await initBackend({ backend: 'cpu', log: (m) => messages.push(m) });
      expect(messages).toHaveLength(2);
      expect(messages[1]).toMatch(/^transmri: WARNING: native kernels unavailable \(native addon not installed: .*\).*22 s with native kernels, 7 min 53 s without/);
      messages.length = 0;
      await initBackend({ backend: 'cpu', native: false, log: (m) => messages.push(m) });
      expect(messages).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.TRANSMRI_NATIVE_PATH;
      else process.env.TRANSMRI_NATIVE_PATH = saved;
      unregisterNativeKernels();
    }
  });
});
