import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.js';
import { findAddonPath, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/register.js';
import { upSampling3d } from '../../src/backend/ops/upsample3d.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('native kernels fallback', () => {
  afterEach(() => {
    delete process.env.TRANSMRI_NATIVE_PATH;
    unregisterNativeKernels();
  });

  it('a missing addon leaves the kernels inactive with a reason, and a 3D conv model still trains', async () => {
    unregisterNativeKernels();
    process.env.TRANSMRI_NATIVE_PATH = '/nonexistent/transmri_native.node';
    const status = registerNativeKernels();
    expect(status.active).toBe(false);
    expect(status.reason).toMatch(/\/nonexistent\/transmri_native.node missing.*pure-JS/);
    const messages: string[] = [];
    const info = await initBackend({ backend: 'cpu', log: (m) => messages.push(m) });
    expect(info.native.active).toBe(false);
    expect(messages[0]).toMatch(/native kernels inactive/);
    // The registered Conv3D is tfjs' own.
    expect(tf.getKernel('Conv3D', 'cpu')?.kernelFunc.name).toBe('conv3D');
    const x = tf.randomNormal([1, 4, 4, 4, 1], 0, 1, 'float32', 1) as tf.Tensor5D;
    const w = tf.variable(tf.randomNormal([3, 3, 3, 1, 2], 0, 0.3, 'float32', 2));
    const opt = tf.train.adam(0.05);
    const loss = () => tf.tidy(() => {
      const y = tf.maxPool3d(tf.elu(tf.conv3d(x, w as tf.Tensor5D, 1, 'same')), 2, 2, 'valid');
      return tf.mean(tf.square(tf.sub(upSampling3d(y, [2, 2, 2]), 1))) as tf.Scalar;
    });
    const value = () => { const l = loss(); const v = l.dataSync()[0]; l.dispose(); return v; };
    const first = value();
    opt.minimize(loss);
    // After the first step (which creates Adam's moments), a step leaves no tensor behind.
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.minimize(loss);
    expect(tf.memory().numTensors).toBe(before);
    const last = value();
    expect(last).toBeLessThan(first);
    tf.dispose([x, w]);
    opt.dispose();
  });

  it('an addon built from an older version is refused, naming the missing functions', () => {
    unregisterNativeKernels();
    const dir = mkdtempSync(join(tmpdir(), 'transmri-old-addon-'));
    const path = join(dir, 'old_addon.cjs');
    writeFileSync(path, 'module.exports = { conv3d() {}, alloc(n) { return new Float32Array(n); } };\n');
    try {
      process.env.TRANSMRI_NATIVE_PATH = path;
      const status = registerNativeKernels();
      expect(status.active).toBe(false);
      expect(status.reason).toMatch(/another version \(no release, toCollector, .*actGrad, actGradBias, adamUpdate; rebuild/);
      expect(tf.getKernel('Conv3D', 'cpu')?.kernelFunc.name).toBe('conv3D');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file that is not an addon is reported as failing to load', () => {
    unregisterNativeKernels();
    process.env.TRANSMRI_NATIVE_PATH = new URL(import.meta.url).pathname;
    const status = registerNativeKernels();
    expect(status.active).toBe(false);
    expect(status.reason).toMatch(/failed to load/);
  });
});

describe.skipIf(findAddonPath() === undefined)('native kernels registration (addon built)', () => {
  afterEach(() => unregisterNativeKernels());

  it('initBackend reports them active, they replace the tfjs kernels, and unregistering restores tfjs', async () => {
    unregisterNativeKernels();
    const tfjsConv = tf.getKernel('Conv3D', 'cpu')?.kernelFunc;
    const messages: string[] = [];
    const info = await initBackend({ backend: 'cpu', log: (m) => messages.push(m) });
    expect(info.native.active).toBe(true);
    expect(info.native.kernels).toEqual(expect.arrayContaining(['Conv3D', 'Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2',
      'MaxPool3D', 'MaxPool3DGrad', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'TransmriUpSampling3D']));
    expect(info.native.reason).toMatch(/threads/);
    expect(messages[0]).toMatch(/native kernels active/);
    expect(tf.getKernel('Conv3D', 'cpu')?.kernelFunc).not.toBe(tfjsConv);
    // A second registration is a no-op.
    expect(registerNativeKernels().active).toBe(true);
    unregisterNativeKernels();
    expect(tf.getKernel('Conv3D', 'cpu')?.kernelFunc).toBe(tfjsConv);
    expect(tf.getKernel('TransmriUpSampling3D', 'cpu')).toBeUndefined();
  });
});
