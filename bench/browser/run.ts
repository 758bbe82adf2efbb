/**
 * Browser latency of the edge-distillation pair (kd-brain-tumor's models at 128×128×3): the edge student
 * (`edgeCnn`) and the ResNet teacher (`resnet2d`), exported with `exportModel`, run by the static app in
 * Debian's headless Chromium on tfjs' webgl, wasm and cpu backends (webgl through SwiftShader when there
 * is no GPU; wasm from file:// runs the SIMD binary on one thread, since such a page is never
 * cross-origin isolated). Per-image latency = the app's forward pass (upload, predict, read back) on 20
 * brain-tumor-mri test images, after one warm-up image. Weights are untrained (latency does not depend on them).
 * Writes bench/results/browser-latency.json. Usage: npx tsx bench/browser/run.ts [--data DIR]
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { BatchSource } from '../../src/data/batch.js';
import { Learner } from '../../src/learner/learner.js';
import { exportModel } from '../../src/learner/export/export-model.js';
import { writeApp } from '../../src/app/write-app.js';
import { edgeCnn } from '../../src/models/students/edge.js';
import { resnet2d } from '../../src/models/teachers/resnet2d.js';
import { SHARED_DATA } from '../lib/shared-data.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const dataArg = process.argv.indexOf('--data');
const DATA = dataArg > 0 ? process.argv[dataArg + 1] : SHARED_DATA;
const TESTING = join(DATA, 'brain-tumor-mri', 'Testing');
if (!existsSync(TESTING) || !existsSync(CHROMIUM)) {
  console.error(`needs ${TESTING} and ${CHROMIUM}`);
  process.exit(2);
}
const classes = ['glioma', 'meningioma', 'notumor', 'pituitary'];
const files = classes.flatMap((c) => readdirSync(join(TESTING, c)).sort().slice(0, 5).map((f) => join(TESTING, c, f)));
const source = (shape: number[]): BatchSource => ({
  classes,
  sampleShape: shape,
  size: () => 0,
  // eslint-disable-next-line require-yield
  async *batches() {
    return;
  },
});

const root = mkdtempSync(join(tmpdir(), 'transmri-browser-bench-'));
const profile = mkdtempSync(join(tmpdir(), 'transmri-chromium-profile-'));
const models = {
  'edge student (edgeCnn)': { model: edgeCnn({ inputShape: [128, 128, 3] }, 4).model, kind: 'classifier' as const },
  'ResNet teacher (resnet2d)': { model: resnet2d({ inputShape: [128, 128, 3] }, 4).model, kind: 'classifier' as const },
};
const results: Array<Record<string, unknown>> = [];
const loadStart = (await import('node:os')).loadavg();
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  for (const [name, handle] of Object.entries(models)) {
    const dir = join(root, name.replace(/\W+/g, '-'));
    const { meta, bytes } = await exportModel(new Learner(source([128, 128, 3]), handle), join(dir, 'export'));
    const { index } = await writeApp(join(dir, 'export'), join(dir, 'app'));
    for (const backend of ['webgl', 'wasm', 'cpu']) {
      const page = await context.newPage();
      await page.goto(`${pathToFileURL(index).href}?backend=${backend}`);
      await page.waitForFunction(() => document.body.dataset.ready !== 'false', undefined, { timeout: 120_000 });
      const actual = await page.evaluate(() => (window as unknown as { transmriApp: { backend(): string } }).transmriApp.backend());
      if (actual !== backend) {
        results.push({ model: name, backend, available: false });
        await page.close();
        continue;
      }
      const ms: number[] = [];
      for (const file of files) {
        const b64 = readFileSync(file).toString('base64');
        const r = await page.evaluate(([n, d]) => (window as unknown as { transmriApp: { classify(n: string, d: string): Promise<{ ms: number }> } }).transmriApp.classify(n, d), [file.split('/').pop() as string, b64] as const);
        ms.push(r.ms);
      }
      const timed = ms.slice(1).sort((a, b) => a - b);
      const median = timed[Math.floor(timed.length / 2)];
      const mean = timed.reduce((a, b) => a + b, 0) / timed.length;
      results.push({ model: name, backend, parameters: meta.parameters, weightBytes: meta.weightBytes, exportBytes: bytes, images: timed.length, medianMs: +median.toFixed(2), meanMs: +mean.toFixed(2) });
      console.log(`${name} on ${backend}: ${meta.parameters} parameters, ${meta.weightBytes} weight bytes; median ${median.toFixed(2)} ms, mean ${mean.toFixed(2)} ms per image`);
      await page.close();
    }
    handle.model.dispose();
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
}
const out = join('bench', 'results', 'browser-latency.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), chromium: CHROMIUM, note: 'webgl is SwiftShader (software rendering) in headless Chromium without a GPU; wasm is the SIMD binary on one thread (file:// page)', loadavg: { start: loadStart.map((v) => +v.toFixed(2)), end: (await import('node:os')).loadavg().map((v) => +v.toFixed(2)) }, results }, null, 1));
console.log(`wrote ${out}`);
