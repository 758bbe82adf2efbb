import { describe, expect, it } from 'vitest';
import { OptionError } from '../../src/backend/errors.js';
import { initBackend } from '../../src/backend/init.js';
import { findAddonPath } from '../../src/backend/native/register.js';
import { resolveNativeSettings, settingsFromEnv } from '../../src/backend/settings.js';

describe('backend settings: options first, the environment as the fallback, read in one place', () => {
  it('reads and checks every variable, naming it', () => {
    expect(settingsFromEnv({})).toEqual({});
    expect(settingsFromEnv({ TRANSMRI_THREADS: '2', TRANSMRI_SIMD: 'avx2', TRANSMRI_RECYCLE: '0', TRANSMRI_FUSE: '0', TRANSMRI_POOL_MB: '64', TRANSMRI_NATIVE: '0', TRANSMRI_BACKEND: 'cpu', TRANSMRI_MALLOC_TUNE: '0' })).toEqual({
      threads: 2,
      simd: 'avx2',
      recycle: 'off',
      fuse: false,
      poolMb: 64,
      native: false,
      backend: 'cpu',
      mallocTune: false,
    });
    expect(() => settingsFromEnv({ TRANSMRI_THREADS: 'many' })).toThrow(/TRANSMRI_THREADS.*"many"/);
    expect(() => settingsFromEnv({ TRANSMRI_THREADS: '0' })).toThrow(OptionError);
    expect(() => settingsFromEnv({ TRANSMRI_SIMD: 'neon' })).toThrow(/TRANSMRI_SIMD/);
    expect(() => settingsFromEnv({ TRANSMRI_RECYCLE: 'yes' })).toThrow(/TRANSMRI_RECYCLE.*"yes"/);
    expect(() => settingsFromEnv({ TRANSMRI_POOL_MB: 'lots' })).toThrow(/TRANSMRI_POOL_MB.*"lots"/);
    expect(() => settingsFromEnv({ TRANSMRI_BACKEND: 'tpu' })).toThrow(/TRANSMRI_BACKEND/);
  });

  it('an option wins over its variable; the others come from the environment', () => {
    const env = { TRANSMRI_THREADS: '4', TRANSMRI_FUSE: '0' };
    expect(resolveNativeSettings({ threads: 1 }, env)).toMatchObject({ threads: 1, fuse: false });
    expect(resolveNativeSettings({ fuse: true, recycle: 'detach' }, env)).toMatchObject({ threads: 4, fuse: true, recycle: 'detach' });
    expect(() => resolveNativeSettings({ threads: 1.5 }, {})).toThrow(/threads/);
    expect(() => resolveNativeSettings({ simd: 'mmx' as never }, {})).toThrow(/simd/);
  });
});

describe.skipIf(findAddonPath() === undefined)('initBackend({ threads, simd }) reaches the native kernels', () => {
  it('sets the thread count and the SIMD path; an impossible path is an OptionError naming simd', async () => {
    const two = await initBackend({ backend: 'cpu', threads: 2, log: () => {} });
    expect(two.native.reason).toMatch(/ 2 threads/);
    const one = await initBackend({ backend: 'cpu', threads: 1, simd: 'sse2', log: () => {} });
    expect(one.native.reason).toMatch(/sse2 path, 1 threads/);
    const auto = await initBackend({ backend: 'cpu', simd: 'auto', log: () => {} });
    expect(auto.native.simd).not.toBe(undefined);
    await expect(initBackend({ backend: 'cpu', simd: 'bogus' as never, log: () => {} })).rejects.toThrow(/simd/);
  });
});

describe('the OpenMP wait policy', () => {
  it('is set to passive unless the user chose one (or a spin count)', async () => {
    const { preferPassiveOpenMp } = await import('../../src/backend/settings.js');
    const a: Record<string, string | undefined> = {};
    preferPassiveOpenMp(a);
    expect(a.OMP_WAIT_POLICY).toBe('passive');
    const b: Record<string, string | undefined> = { OMP_WAIT_POLICY: 'active' };
    preferPassiveOpenMp(b);
    expect(b.OMP_WAIT_POLICY).toBe('active');
    const c: Record<string, string | undefined> = { GOMP_SPINCOUNT: '1000' };
    preferPassiveOpenMp(c);
    expect(c.OMP_WAIT_POLICY).toBeUndefined();
  });
});
