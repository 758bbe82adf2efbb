// Backend detection: a tfjs Node binding that is installed but fails to load
// is reported as such, with its error, apart from one that is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeNodeBinding, setDefaultProbeOptions } from '../../src/backend/detect.js';
import { initBackend, nodeBindingsReason } from '../../src/backend/init.js';
import { OptionError } from '../../src/backend/errors.js';
import { unregisterNativeKernels } from '../../src/backend/native/register.js';

const DLOPEN = 'libtensorflow.so.2: cannot open shared object file: No such file or directory';

/** A package in `root`/node_modules whose main file is `main` (undefined: no main file at all). */
function fakePackage(root: string, name: string, main: string | undefined): void {
  const dir = join(root, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '4.22.0', main: 'index.js' }));
  if (main !== undefined) writeFileSync(join(dir, 'index.js'), main);
}

describe('tfjs Node binding detection', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'transmri-detect-'));
    // tfjs-node-gpu whose native library is missing (what a failed install script leaves behind).
    fakePackage(root, '@tensorflow/tfjs-node-gpu', `throw new Error(${JSON.stringify(DLOPEN + '\n    at Module._extensions..node')});\n`);
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    unregisterNativeKernels();
  });

  it('tells missing, broken (import throws, or main file absent) and loadable packages apart', async () => {
    const other = mkdtempSync(join(tmpdir(), 'transmri-detect-'));
    try {
      fakePackage(other, '@tensorflow/tfjs-node', undefined);
      fakePackage(other, 'fine-binding', 'module.exports = { ok: true };\n');
      expect(await probeNodeBinding('@tensorflow/tfjs-node-gpu', { resolveFrom: root })).toEqual({
        state: 'broken', package: '@tensorflow/tfjs-node-gpu', reason: `@tensorflow/tfjs-node-gpu installed but failed to load: ${DLOPEN}`,
      });
      expect(await probeNodeBinding('@tensorflow/tfjs-node', { resolveFrom: root })).toMatchObject({ state: 'missing', reason: '@tensorflow/tfjs-node not installed' });
      const noMain = await probeNodeBinding('@tensorflow/tfjs-node', { resolveFrom: join(other, 'app.js') });
      expect(noMain.state).toBe('broken');
      expect(noMain.reason).toMatch(/^@tensorflow\/tfjs-node installed but failed to load: Cannot find module/);
      expect(await probeNodeBinding('fine-binding', { resolveFrom: other })).toMatchObject({ state: 'loaded' });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('auto mode falls back to cpu and says which binding failed to load and why', async () => {
    const restore = setDefaultProbeOptions({ resolveFrom: root });
    try {
      const messages: string[] = [];
      const info = await initBackend({ backend: 'auto', native: false, log: (m) => messages.push(m) });
      expect(info.name).toBe('cpu');
      expect(info.reason).toBe(`@tensorflow/tfjs-node-gpu installed but failed to load: ${DLOPEN}; @tensorflow/tfjs-node not installed (optional)`);
      expect(messages.join('\n')).toContain('installed but failed to load: libtensorflow.so.2');
      // Forcing the broken binding is an OptionError that carries the load error.
      await expect(initBackend({ backend: 'tensorflow-gpu', log: () => {} })).rejects.toThrow(OptionError);
      await expect(initBackend({ backend: 'tensorflow-gpu', log: () => {} })).rejects.toThrow(/installed but failed to load: libtensorflow\.so\.2/);
      await expect(initBackend({ backend: 'tensorflow', log: () => {} })).rejects.toThrow(/@tensorflow\/tfjs-node is not installed/);
    } finally {
      restore();
    }
  });

  it('with neither binding installed, says so in one phrase', () => {
    expect(nodeBindingsReason([
      { state: 'missing', package: '@tensorflow/tfjs-node-gpu', reason: '' },
      { state: 'missing', package: '@tensorflow/tfjs-node', reason: '' },
    ])).toBe('@tensorflow/tfjs-node(-gpu) not installed (optional)');
  });
});
