/**
 * The exported app in Debian's headless Chromium: loads offline from file://, predicts 20
 * brain-tumor-mri images and 3 IXI volumes as Node does (probabilities within 1e-4), renders the
 * saliency overlay, and gives clear messages for bad files. Tiny models trained for one epoch.
 * Backends: cpu, wasm (shipped with the app: from file:// through wasm/wasm-binaries.js, over http from
 * wasm/*.wasm) and, when Chromium has it, webgl. Per-image latency is printed with TRANSMRI_BROWSER_LOG=1.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { DataBunch } from '../../src/data/databunch/databunch.js';
import { Learner } from '../../src/learner/learner.js';
import { exportModel } from '../../src/learner/export/export-model.js';
import { writeApp } from '../../src/app/write-app.js';
import { browserBundle } from '../../src/app/bundle.js';
import { sliceCnn } from '../../src/models/students/slice.js';
import { buildCae } from '../../src/models/cae.js';
import { classifierFromEncoder } from '../../src/models/classifier.js';
import { SHARED_DATA } from '../helpers/shared-data.js';

const CHROMIUM = '/usr/bin/chromium';
const DATA = SHARED_DATA;
const TUMOR = join(DATA, 'brain-tumor-mri');
const IXI = join(DATA, 'ixi-t1-2mm');
const ARGS = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const log = (...a: unknown[]) => {
  if (process.env.TRANSMRI_BROWSER_LOG) console.log(...a);
};

interface AppResult { file: string; probabilities: number[]; predicted: string; ms: number; backend: string; saliency?: { method: string; max: number } }

/** Trains a tiny classifier for one epoch, exports it and writes its app; returns Node's probabilities by file. */
async function trainExportApp(bunch: DataBunch, learner: Learner, root: string, name: string): Promise<{ app: string; node: Map<string, number[]> }> {
  await learner.fit(1, { lr: 3e-3 });
  const pred = await learner.predict('test');
  const c = bunch.classes.length;
  const node = new Map(pred.ids.map((id, i) => [id, Array.from(pred.probabilities!.subarray(i * c, (i + 1) * c))]));
  await exportModel(learner, join(root, `${name}-export`));
  const { index } = await writeApp(join(root, `${name}-export`), join(root, `${name}-app`));
  return { app: index, node };
}

async function openApp(page: Page, index: string, backend: string): Promise<{ errors: string[]; requests: string[] }> {
  const errors: string[] = [];
  const requests: string[] = [];
  const url = `${pathToFileURL(index).href}?backend=${backend}`;
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('file://') && !u.startsWith('data:') && !u.startsWith('blob:')) requests.push(u);
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.ready !== 'false', undefined, { timeout: 60_000 });
  expect(await page.evaluate(() => document.body.dataset.ready), await page.textContent('#message') ?? '').toBe('true');
  return { errors, requests };
}

async function classifyIn(page: Page, file: string, show = false): Promise<AppResult> {
  const b64 = readFileSync(file).toString('base64');
  const name = file.split('/').pop() as string;
  return page.evaluate(([n, data, s]) => (window as unknown as { transmriApp: { classify(n: string, d: string, s: boolean): Promise<AppResult> } }).transmriApp.classify(n as string, data as string, s as boolean), [name, b64, show] as const);
}

const haveData = existsSync(TUMOR) && existsSync(IXI);
const reason = !existsSync(CHROMIUM) ? `${CHROMIUM} not installed (apt-get install chromium)` : `${DATA} absent (brain-tumor-mri and ixi-t1-2mm; set TRANSMRI_DATA)`;

describe.skipIf(!existsSync(CHROMIUM) || !haveData)(`exported app in headless Chromium (skipped when ${reason})`, () => {
  it('loads offline, predicts 20 images and 3 volumes as Node does, renders the saliency overlay, explains bad files', async () => {
    const root = mkdtempSync(join(tmpdir(), 'transmri-app-browser-'));
    const profile = mkdtempSync(join(tmpdir(), 'transmri-chromium-profile-'));
    try {
      // 2D: 4 classes, 12 training and 5 test images per class (the test images come from Testing/)
      const classes = ['glioma', 'meningioma', 'notumor', 'pituitary'];
      const rows = classes.flatMap((label) => [
        ...readdirSync(join(TUMOR, 'Training', label)).sort().slice(0, 12).map((f) => ({ path: join(TUMOR, 'Training', label, f), label, split: 'train' as const })),
        ...readdirSync(join(TUMOR, 'Testing', label)).sort().slice(0, 5).map((f) => ({ path: join(TUMOR, 'Testing', label, f), label, split: 'test' as const })),
      ]);
      const images = await DataBunch.fromRows(rows, { pipeline: { input: { kind: 'image2d', mode: 'grey', size: [32, 32] }, steps: [{ op: 'zScore' }] }, cacheDir: join(root, 'cache2d'), seed: 0 });
      const student = sliceCnn({ inputShape: [32, 32, 1], widths: [4, 8], seed: 0 }, 4);
      const l2 = new Learner(images, { model: student.model, kind: 'classifier' }, { seed: 0, batchSize: 16 });
      const app2d = await trainExportApp(images, l2, root, 'tumor');
      expect(app2d.node.size).toBe(20);

      // 3D: sex from 8 training and 3 test IXI volumes, zoomed to 4 mm and cropped
      const participants = readFileSync(join(IXI, 'participants.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const ixiRows = participants.filter(([id]) => existsSync(join(IXI, 't1', `${id}_T1.nii.gz`))).slice(0, 11).map(([id, , sex], i) => ({ path: join(IXI, 't1', `${id}_T1.nii.gz`), label: sex, split: i < 8 ? ('train' as const) : ('test' as const) }));
      const vols = await DataBunch.fromRows(ixiRows, { pipeline: { input: { kind: 'nifti' }, steps: [{ op: 'zoom', factor: 0.5 }, { op: 'cropOrPad', shape: [28, 28, 24] }, { op: 'zScore' }] }, cacheDir: join(root, 'cache3d'), seed: 0, classes: ['F', 'M'] });
      const cae = buildCae({ inputShape: [28, 28, 24, 1], widths: [2, 4], seed: 0 });
      const clf = classifierFromEncoder(cae.encoder, { numClasses: 2, hidden: 4, dropout: 0 });
      const l3 = new Learner(vols, clf, { seed: 0, batchSize: 4 });
      const app3d = await trainExportApp(vols, l3, root, 'ixi');
      expect(app3d.node.size).toBe(3);

      const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1300, height: 900 } });
      try {
        const latency: Record<string, { backend: string; msPerImage: number }> = {};
        for (const backend of ['cpu', 'webgl', 'wasm']) {
          const page = await context.newPage();
          const { errors, requests } = await openApp(page, app2d.app, backend);
          const actual = (await page.evaluate(() => (window as unknown as { transmriApp: { backend(): string } }).transmriApp.backend()));
          // the app ships wasm (from file:// through wasm/wasm-binaries.js): it must start; webgl depends on the GPU/SwiftShader
          if (backend !== 'webgl') expect(`${actual}: ${await page.textContent('#backend-note')}`).toBe(`${backend}: running on ${backend}`);
          if (actual !== backend) {
            log(`backend ${backend} unavailable in this Chromium (got ${actual}): not measured`);
            await page.close();
            continue;
          }
          let maxDiff = 0;
          const ms: number[] = [];
          for (const [file, want] of app2d.node) {
            const r = await classifyIn(page, file);
            ms.push(r.ms);
            maxDiff = Math.max(maxDiff, ...r.probabilities.map((p, k) => Math.abs(p - want[k])));
          }
          log(`2D (${backend}): max |browser - node| = ${maxDiff.toExponential(2)} over 20 images`);
          expect(maxDiff).toBeLessThan(1e-4);
          latency[`slice-cnn 32x32 ${backend}`] = { backend, msPerImage: ms.slice(1).reduce((a, b) => a + b, 0) / (ms.length - 1) };
          expect(errors).toEqual([]);
          expect(requests).toEqual([]);
          await page.close();
        }
        expect(Object.keys(latency).length).toBeGreaterThan(0);

        // the ESM runtime bundle on its own, served over http (loadExport fetches the export folder): same probabilities
        const runtime = await browserBundle('runtime');
        const exportDir = join(root, 'tumor-export');
        const served: Record<string, { body: Buffer; type: string }> = {
          '/index.html': { body: Buffer.from('<!doctype html><title>runtime</title>'), type: 'text/html' },
          '/transmri-runtime.mjs': { body: readFileSync(runtime), type: 'text/javascript' },
          ...Object.fromEntries(['model.json', 'weights.bin', 'transmri.json'].map((f) => [`/export/${f}`, { body: readFileSync(join(exportDir, f)), type: 'application/octet-stream' }])),
        };
        const esm = await context.newPage();
        await esm.route('http://transmri.test/**', (route) => {
          const file = served[new URL(route.request().url()).pathname];
          return file ? route.fulfill({ body: file.body, contentType: file.type }) : route.fulfill({ status: 404 });
        });
        await esm.goto('http://transmri.test/index.html');
        const [someFile, want] = [...app2d.node.entries()][7];
        // a script string: vitest would rewrite an import() inside a function passed to evaluate
        const b64 = JSON.stringify(readFileSync(someFile).toString('base64'));
        const got = (await esm.evaluate(`(async () => {
          const rt = await import('http://transmri.test/transmri-runtime.mjs');
          const loaded = await rt.loadExport('http://transmri.test/export/');
          const bytes = Uint8Array.from(atob(${b64}), (c) => c.charCodeAt(0));
          const r = await rt.classify(loaded, await rt.readFile(${JSON.stringify(someFile.split('/').pop())}, bytes, loaded.meta));
          return Array.from(r.probabilities);
        })()`)) as number[];
        log(`ESM runtime: max |browser - node| = ${Math.max(...got.map((p, k) => Math.abs(p - want[k]))).toExponential(2)}`);
        expect(Math.max(...got.map((p, k) => Math.abs(p - want[k])))).toBeLessThan(1e-4);
        await esm.close();

        // the app served over http: wasm fetches its binary from wasm/ beside the page; with the binaries
        // missing on the server, or wasm/wasm-binaries.js missing from a file:// copy, the page falls back
        // to the next backend and says why in red
        const appDir = join(root, 'tumor-app');
        const serveApp = async (missingWasm: boolean): Promise<{ page: Page; fetched: string[] }> => {
          const p = await context.newPage();
          const fetched: string[] = [];
          await p.route('http://transmri.test/**', (route) => {
            const path = new URL(route.request().url()).pathname;
            fetched.push(path);
            const file = join(appDir, path);
            if ((missingWasm && path.endsWith('.wasm')) || !existsSync(file)) return route.fulfill({ status: 404 });
            return route.fulfill({ body: readFileSync(file), contentType: path.endsWith('.wasm') ? 'application/wasm' : path.endsWith('.html') ? 'text/html' : 'text/javascript' });
          });
          await p.goto('http://transmri.test/index.html?backend=wasm');
          await p.waitForFunction(() => document.body.dataset.ready !== 'false', undefined, { timeout: 60_000 });
          return { page: p, fetched };
        };
        const viaHttp = await serveApp(false);
        expect(await viaHttp.page.textContent('#backend-note')).toBe('running on wasm');
        expect(viaHttp.fetched.filter((f) => f.endsWith('.wasm'))).toEqual(['/wasm/tfjs-backend-wasm-simd.wasm']);
        expect(viaHttp.fetched).not.toContain('/wasm/wasm-binaries.js');
        const [httpFile, httpWant] = [...app2d.node.entries()][3];
        const httpGot = await classifyIn(viaHttp.page, httpFile);
        expect(httpGot.backend).toBe('wasm');
        expect(Math.max(...httpGot.probabilities.map((p, k) => Math.abs(p - httpWant[k])))).toBeLessThan(1e-4);
        await viaHttp.page.close();
        const noBinaries = await serveApp(true);
        const fallback = (await noBinaries.page.textContent('#backend-note')) ?? '';
        expect(fallback).toMatch(/^running on (webgl|cpu) \(wasm: did not start in this browser \(its \.wasm binaries could not be loaded\)\)$/);
        expect(await noBinaries.page.evaluate(() => document.getElementById('backend-note')?.className)).toBe('error');
        await noBinaries.page.close();
        const bare = join(root, 'tumor-app-bare');
        cpSync(appDir, bare, { recursive: true });
        rmSync(join(bare, 'wasm', 'wasm-binaries.js'));
        const barePage = await context.newPage();
        await openApp(barePage, join(bare, 'index.html'), 'wasm');
        expect(await barePage.textContent('#backend-note')).toMatch(/^running on (webgl|cpu) \(wasm: wasm\/wasm-binaries\.js is missing beside index\.html \(a page opened from file:\/\/ cannot fetch the \.wasm binaries/);
        await barePage.close();

        // 3D volumes on wasm (Conv3D, and its gradients for the saliency map), then on cpu with the drop path
        // (file input), the overlay drawn and the error messages
        const wasmPage = await context.newPage();
        await openApp(wasmPage, app3d.app, 'wasm');
        let maxDiffWasm3 = 0;
        for (const [file, want] of app3d.node) {
          const r = await classifyIn(wasmPage, file);
          expect(r.backend).toBe('wasm');
          maxDiffWasm3 = Math.max(maxDiffWasm3, ...r.probabilities.map((p, k) => Math.abs(p - want[k])));
          latency[`cae-classifier 28x28x24 wasm (${file.split('/').pop()})`] = { backend: 'wasm', msPerImage: r.ms };
        }
        log(`3D (wasm): max |browser - node| = ${maxDiffWasm3.toExponential(2)} over 3 volumes`);
        expect(maxDiffWasm3).toBeLessThan(1e-4);
        await wasmPage.close();

        const page = await context.newPage();
        const { errors, requests } = await openApp(page, app3d.app, 'cpu');
        let maxDiff3 = 0;
        for (const [file, want] of app3d.node) {
          const r = await classifyIn(page, file);
          maxDiff3 = Math.max(maxDiff3, ...r.probabilities.map((p, k) => Math.abs(p - want[k])));
          latency[`cae-classifier 28x28x24 cpu (${file.split('/').pop()})`] = { backend: 'cpu', msPerImage: r.ms };
        }
        log(`3D (cpu): max |browser - node| = ${maxDiff3.toExponential(2)} over 3 volumes`);
        expect(maxDiff3).toBeLessThan(1e-4);
        const [firstVolume] = app3d.node.keys();
        await page.setInputFiles('#file', firstVolume);
        await page.waitForFunction(() => /IXI.*: [FM]$/.test(document.getElementById('message')?.textContent ?? ''), undefined, { timeout: 60_000 });
        const overlay = await page.evaluate(() => {
          const c = document.getElementById('overlay') as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let coloured = 0;
          let nonBlack = 0;
          for (let p = 0; p < d.length; p += 4) {
            if (d[p] > 0 || d[p + 1] > 0 || d[p + 2] > 0) nonBlack++;
            if (d[p] > d[p + 2] + 40) coloured++;
          }
          return { w: c.width, h: c.height, nonBlack, coloured };
        });
        log('overlay', overlay);
        expect(overlay.w * overlay.h).toBeGreaterThan(100);
        expect(overlay.nonBlack).toBeGreaterThan(overlay.w * overlay.h * 0.1);
        expect(overlay.coloured).toBeGreaterThan(0);
        const shot = await page.locator('#overlay').screenshot();
        expect(shot.byteLength).toBeGreaterThan(500);
        // the niivue viewer (WebGL2, here through SwiftShader) shows the scan with the map in warm colours
        const note = (await page.textContent('#viewer-note')) ?? '';
        log('viewer:', note);
        if (!note.startsWith('slice viewer unavailable')) {
          expect(note).toBe('saliency overlaid in warm colours');
          await page.waitForTimeout(500);
          const { data, info } = await sharp(await page.locator('#viewer').screenshot()).raw().toBuffer({ resolveWithObject: true });
          let warm = 0;
          let lit = 0;
          for (let p = 0; p < data.length; p += info.channels) {
            if (data[p] + data[p + 1] + data[p + 2] > 60) lit++;
            if (data[p] > 100 && data[p] > data[p + 2] + 60) warm++;
          }
          log('viewer pixels', { lit, warm, total: info.width * info.height });
          expect(lit).toBeGreaterThan(info.width * info.height * 0.05);
          expect(warm).toBeGreaterThan(0);
        }
        if (process.env.TRANSMRI_KEEP_SCREENSHOT) await page.screenshot({ path: join(tmpdir(), 'transmri-app.png'), fullPage: true });

        const errorFor = async (name: string, bytes: Buffer): Promise<string> => {
          await page.setInputFiles('#file', { name, mimeType: 'application/octet-stream', buffer: bytes });
          await page.waitForFunction((n) => (document.getElementById('message')?.textContent ?? '').includes(n) && document.getElementById('message')?.className === 'error', name, { timeout: 30_000 });
          return (await page.textContent('#message')) ?? '';
        };
        expect(await errorFor('notes.txt', Buffer.from('hello, not an image'))).toMatch(/notes\.txt: not an image or a NIfTI volume/);
        expect(await errorFor('Te-gl.jpg', readFileSync([...app2d.node.keys()][0]))).toMatch(/JPEG image, but this model takes NIfTI volumes/);
        // a volume of another grid than the training scans (cropOrPad would have hidden it)
        const small = await import('../../src/data/nifti/writer.js').then(async ({ encodeNifti1 }) => {
          const { Volume } = await import('../../src/data/volume.js');
          return Buffer.from(encodeNifti1(new Volume({ data: new Float32Array(20 * 20 * 20).fill(1), shape: [20, 20, 20] })));
        });
        expect(await errorFor('small.nii', small)).toMatch(/small\.nii: a volume of grid \[20, 20, 20\] at 1 × 1 × 1 mm; the model was trained on scans of grid \[\d+, \d+, \d+\] at 2 × 2 × 2 mm/);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        console.log(`browser latency (ms per input, after the first): ${JSON.stringify(latency)}`);
        await page.close();
      } finally {
        await context.close();
      }
      l2.dispose();
      l3.dispose();
    } finally {
      rmSync(profile, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    }
  }, 900_000);
});
