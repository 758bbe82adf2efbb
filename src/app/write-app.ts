/**
 * writeApp: a static, offline page for an exported model (index.html + transmri-app.js + model.js +
 * wasm/): works from file:// and from any static server, needs no network. The model, its weights and
 * metadata are embedded in model.js (a classic script, since browsers refuse fetch() from file://).
 * wasm/ holds tfjs-backend-wasm's binaries (fetched by a served page) and wasm-binaries.js, the plain
 * and SIMD binaries as base64 in a classic script, which the page loads from file:// when it tries wasm.
 */
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FormatError, OptionError } from '../backend/errors.js';
import { checkExportMeta, EXPORT_META_FILE, type ExportMeta } from '../learner/export/export-meta.js';
import { browserBundle, browserWasmFiles } from './bundle.js';

/** What {@link writeApp} wrote. */
export interface AppFiles {
  dir: string;
  index: string;
  meta: ExportMeta;
  /** Bytes of the app bundle and of the embedded model. */
  bundleBytes: number;
  /** Bytes of wasm/ (the three binaries and wasm-binaries.js). */
  wasmBytes: number;
  modelBytes: number;
}

async function readExportFile(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    throw new FormatError(`not an export folder (written by exportModel): ${(error as Error).message}`, join(dir, name));
  }
}

/**
 * Writes the app for the export in `exportDir` into `outDir` (replaced atomically).
 * @example
 * await exportModel(learner, 'out/student');
 * await writeApp('out/student', 'out/student-app'); // open out/student-app/index.html
 */
export async function writeApp(exportDir: string, outDir: string): Promise<AppFiles> {
  if (typeof exportDir !== 'string' || exportDir === '') throw new OptionError('writeApp.exportDir', 'must be a non-empty path');
  if (typeof outDir !== 'string' || outDir === '') throw new OptionError('writeApp.outDir', 'must be a non-empty path');
  const src = resolve(exportDir);
  const modelText = (await readExportFile(src, 'model.json')).toString('utf8');
  const weights = await readExportFile(src, 'weights.bin');
  const metaText = (await readExportFile(src, EXPORT_META_FILE)).toString('utf8');
  let modelJson: unknown;
  let metaJson: unknown;
  try {
    modelJson = JSON.parse(modelText);
    metaJson = JSON.parse(metaText);
  } catch (error) {
    throw new FormatError(`unreadable JSON: ${(error as Error).message}`, src);
  }
  const meta = checkExportMeta(metaJson, join(src, EXPORT_META_FILE));
  if (meta.task !== 'classification') throw new OptionError('writeApp.exportDir', `${src} holds a ${meta.task} model; the app shows class probabilities (export a classifier)`);
  const bundle = await browserBundle('app');
  const wasmFiles = await browserWasmFiles();
  const dir = resolve(outDir);
  const tmp = join(dirname(dir), `.${basename(dir)}.app-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    const embedded = `window.TRANSMRI_EXPORT = ${JSON.stringify({ modelJson, weightsBase64: weights.toString('base64'), meta })};\n`;
    await writeFile(join(tmp, 'model.js'), embedded);
    await copyFile(bundle, join(tmp, 'transmri-app.js'));
    await writeFile(join(tmp, 'index.html'), indexHtml(meta));
    await mkdir(join(tmp, 'wasm'));
    const embeddedWasm: Record<string, string> = {};
    for (const file of wasmFiles) {
      await copyFile(file, join(tmp, 'wasm', basename(file)));
      // the threaded binary needs a cross-origin-isolated page, which file:// never is
      if (!basename(file).includes('threaded')) embeddedWasm[basename(file)] = (await readFile(file)).toString('base64');
    }
    await writeFile(join(tmp, 'wasm', 'wasm-binaries.js'), `window.TRANSMRI_WASM = ${JSON.stringify(embeddedWasm)};\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const bundleBytes = (await readFile(join(dir, 'transmri-app.js'))).byteLength;
  let wasmBytes = 0;
  for (const f of [...wasmFiles.map((p) => basename(p)), 'wasm-binaries.js']) wasmBytes += (await stat(join(dir, 'wasm', f))).size;
  return { dir, index: join(dir, 'index.html'), meta, bundleBytes, wasmBytes, modelBytes: weights.byteLength + Buffer.byteLength(modelText) };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

function indexHtml(meta: ExportMeta): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>transmri: ${escapeHtml(meta.model.name)}</title>
<style>
 body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 1100px; }
 #drop { border: 2px dashed #888; border-radius: 8px; padding: 1.5em; text-align: center; margin: 1em 0; }
 #drop.over { border-color: #c60; background: #fff4e8; }
 #message.error { color: #b00; font-weight: 600; }
 .panes { display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }
 #image, #overlay { image-rendering: pixelated; width: 320px; border: 1px solid #ccc; }
 #viewer-box { width: 480px; height: 360px; position: relative; }
 #viewer-box:has(canvas[hidden]) { display: none; }
 table td { padding: 2px 8px; } tr.top { font-weight: 700; }
 .bar { height: 10px; background: #c60; }
 #model, #timing, #viewer-note, #backend-note { color: #555; }
 #backend-note.error { color: #b00; }
</style>
</head>
<body data-ready="false">
<h1>${escapeHtml(meta.model.name)}</h1>
<p id="model">loading the model…</p>
<p><label>backend <select id="backend"><option value="auto">auto (webgl, wasm, cpu)</option><option value="webgl">webgl</option><option value="wasm">wasm</option><option value="cpu">cpu</option></select></label> <span id="backend-note"></span></p>
<div id="drop">Drop a file here, or <input type="file" id="file" accept=".png,.jpg,.jpeg,.nii,.gz"></div>
<p id="message"></p>
<div class="panes">
 <div><h3>input</h3><img id="image" alt="dropped image" hidden><div id="viewer-box"><canvas id="viewer" hidden></canvas></div><p id="viewer-note"></p></div>
 <div><h3>probabilities</h3><div id="probabilities"></div><p id="timing"></p></div>
 <div><h3 id="saliency-title">saliency</h3><canvas id="overlay" width="1" height="1"></canvas></div>
</div>
<script src="model.js"></script>
<script src="transmri-app.js"></script>
</body>
</html>
`;
}
