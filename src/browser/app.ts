/// <reference lib="dom" />
/**
 * The static offline app written by `writeApp` (bundled as a classic script, so it runs from file://):
 * the export is embedded by model.js as `window.TRANSMRI_EXPORT`; drop a file to see it (NIfTI in a
 * niivue slice viewer, images as images), the class probabilities, the model size, the inference time
 * and a saliency overlay. `?backend=webgl|wasm|cpu` (or the page's backend menu) picks the tfjs backend;
 * default: the first of webgl → wasm → cpu that starts, and the page says which ran and why others did
 * not. The wasm binaries sit in wasm/ beside the page; opened from file:// (where fetch() is refused) they
 * come from wasm/wasm-binaries.js, a classic script with the bytes, loaded only when wasm is tried.
 * `window.transmriApp` exposes the same steps to scripts (used by the browser tests).
 */
import * as tf from '@tensorflow/tfjs';
import { Niivue } from '@niivue/niivue';
import { resampleToGrid } from '../data/preprocess.js';
import { Volume } from '../data/volume.js';
import { BACKENDS, classify, loadExportFiles, readFile, saliency, selectBackend, TransmriError, type BackendName, type Classification, type LoadedExport, type SaliencyMap, type WasmFileMap } from './runtime.js';

interface EmbeddedExport {
  modelJson: { modelTopology: unknown; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  weightsBase64: string;
  meta: unknown;
}

/** What one file gave: shown on the page and returned to scripts. */
export interface AppResult {
  file: string;
  probabilities: number[];
  classes: string[];
  predicted: string;
  ms: number;
  backend: string;
  saliency?: { method: string; max: number };
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** The script writeApp puts beside the .wasm binaries: `window.TRANSMRI_WASM = { 'tfjs-backend-wasm.wasm': base64, ... }`. */
const WASM_SCRIPT = 'wasm/wasm-binaries.js';

/** Loads a classic script beside the page (allowed from file://, unlike fetch). */
function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`${src} is missing beside index.html (a page opened from file:// cannot fetch the .wasm binaries, it needs their bytes in this script)`));
    document.head.appendChild(el);
  });
}

/**
 * The wasm binaries of a page opened from file://, as blob: URLs of the bytes in wasm/wasm-binaries.js
 * (tfjs-backend-wasm fetches its binary, and Chromium refuses fetch() of file: URLs). Threads need a
 * cross-origin-isolated page, which file:// never is: the threaded binary is not shipped in the script.
 */
async function embeddedWasm(): Promise<WasmFileMap> {
  await loadScript(WASM_SCRIPT);
  const embedded = (window as unknown as { TRANSMRI_WASM?: Record<string, string> }).TRANSMRI_WASM;
  const plain = embedded?.['tfjs-backend-wasm.wasm'];
  const simd = embedded?.['tfjs-backend-wasm-simd.wasm'];
  if (!plain || !simd) throw new Error(`${WASM_SCRIPT} does not hold the wasm binaries`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const url = (b64: string) => URL.createObjectURL(new Blob([base64ToBytes(b64) as BlobPart], { type: 'application/wasm' }));
  const simdUrl = url(simd);
  return { 'tfjs-backend-wasm.wasm': url(plain), 'tfjs-backend-wasm-simd.wasm': simdUrl, 'tfjs-backend-wasm-threaded-simd.wasm': simdUrl };
}

/** Starts the backend of `?backend=` (else webgl → wasm → cpu); the backend line says which runs and why others did not. */
async function startBackend(): Promise<BackendName> {
  const param = new URLSearchParams(location.search).get('backend');
  const known = (BACKENDS as readonly string[]).includes(param ?? '');
  const wanted = known ? (param as BackendName) : undefined;
  const { backend, notes } = await selectBackend({ backend: wanted, wasmPaths: location.protocol === 'file:' ? embeddedWasm : 'wasm/' });
  const lines = param && !known ? [`unknown backend '${param}' in the address (expected ${BACKENDS.join(', ')})`, ...notes] : notes;
  const select = $<HTMLSelectElement>('backend');
  select.value = wanted ?? 'auto';
  select.addEventListener('change', () => {
    const q = new URLSearchParams(location.search);
    if (select.value === 'auto') q.delete('backend');
    else q.set('backend', select.value);
    location.search = q.toString();
  });
  const note = $('backend-note');
  note.textContent = `running on ${backend}${lines.length ? ` (${lines.join('; ')})` : ''}`;
  note.className = wanted && wanted !== backend ? 'error' : '';
  return backend;
}

function base64ToBytes(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function message(text: string, kind: 'error' | 'info' = 'info'): void {
  const el = $('message');
  el.textContent = text;
  el.className = kind;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} kB`;
}

/** A 2D slice [h, w] (row-major) of the model input to draw: the image itself, or a volume's middle slice across its last spatial axis. */
function displaySlice(values: Float32Array, shape: number[]): { data: Float32Array; h: number; w: number } {
  if (shape.length === 2) return { data: values, h: shape[0], w: shape[1] };
  const [d, h, w] = shape;
  const k = Math.floor(w / 2);
  const out = new Float32Array(d * h);
  for (let i = 0; i < d; i++) for (let j = 0; j < h; j++) out[i * h + j] = values[(i * h + j) * w + k];
  return { data: out, h: d, w: h };
}

/** The first channel of the model input on its spatial grid. */
function firstChannel(input: Float32Array, inputShape: number[]): { values: Float32Array; shape: number[] } {
  const c = inputShape[inputShape.length - 1];
  const spatial = inputShape.slice(0, -1);
  const n = spatial.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let p = 0; p < n; p++) values[p] = input[p * c];
  return { values, shape: spatial };
}

/** Draws the model input (grey) with the saliency map as a red-yellow overlay where it is above 20 % of its maximum. */
function drawOverlay(canvas: HTMLCanvasElement, input: Float32Array, inputShape: number[], map: SaliencyMap | undefined): void {
  const { values, shape } = firstChannel(input, inputShape);
  const img = displaySlice(values, shape);
  const sal = map ? displaySlice(map.method === 'gradient' ? map.data.map(Math.abs) : map.data, map.shape) : undefined;
  canvas.width = img.w;
  canvas.height = img.h;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const out = ctx.createImageData(img.w, img.h);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of img.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const smax = sal ? Math.max(...sal.data, 1e-12) : 1;
  for (let p = 0; p < img.data.length; p++) {
    const g = hi > lo ? ((img.data[p] - lo) / (hi - lo)) * 255 : 0;
    let [r, gg, b] = [g, g, g];
    const s = sal ? Math.max(0, sal.data[p]) / smax : 0;
    if (s > 0.2) {
      const a = 0.35 + 0.5 * s;
      r = (1 - a) * r + a * 255;
      gg = (1 - a) * gg + a * 255 * s;
      b = (1 - a) * b;
    }
    out.data.set([r, gg, b, 255], p * 4);
  }
  ctx.putImageData(out, 0, 0);
}

/** A float32 NIfTI-1 (.nii) of a one-channel RAS volume: sform and qform code 1 from its affine. */
function encodeNifti(vol: Volume): ArrayBuffer {
  const [nx, ny, nz] = vol.shape;
  const buf = new ArrayBuffer(352 + nx * ny * nz * 4);
  const v = new DataView(buf);
  v.setInt32(0, 348, true);
  [3, nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
  v.setInt16(70, 16, true); // float32
  v.setInt16(72, 32, true);
  [1, ...vol.spacing, 1, 1, 1, 1].forEach((d, i) => v.setFloat32(76 + 4 * i, d, true));
  v.setFloat32(108, 352, true);
  v.setFloat32(112, 1, true); // scl_slope
  v.setInt16(254, 1, true); // sform_code
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) v.setFloat32(280 + 16 * r + 4 * c, vol.affine[r][c], true);
  [0x6e, 0x2b, 0x31, 0].forEach((b, i) => v.setUint8(344 + i, b));
  const out = new Float32Array(buf, 352);
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) for (let k = 0; k < nz; k++) out[i + nx * (j + ny * k)] = vol.data[(i * ny + j) * nz + k];
  return buf;
}

/** A 3D model's saliency map put back on the dropped scan's grid (world-aligned with it in the viewer); undefined for 2D maps. */
function overlayOnScan(map: SaliencyMap, result: Classification, scan: Volume, view: boolean): Volume | undefined {
  if (view || map.shape.length !== 3 || result.preprocessed.shape.join() !== map.shape.join()) return undefined;
  const data = map.method === 'gradient' ? map.data.map(Math.abs) : map.data;
  return resampleToGrid(new Volume({ data: new Float32Array(data), shape: result.preprocessed.shape, affine: result.preprocessed.affine }), scan.shape, scan.affine);
}

async function showOriginal(name: string, bytes: Uint8Array, isImage: boolean, overlay?: Volume): Promise<void> {
  const img = $<HTMLImageElement>('image');
  const viewer = $<HTMLCanvasElement>('viewer');
  const note = $('viewer-note');
  img.hidden = !isImage;
  viewer.hidden = isImage;
  note.textContent = '';
  if (isImage) {
    img.src = URL.createObjectURL(new Blob([bytes as BlobPart]));
    return;
  }
  try {
    if (!document.createElement('canvas').getContext('webgl2')) throw new Error('WebGL2 is not available in this browser');
    const nv = new Niivue({ show3Dcrosshair: true, backColor: [0, 0, 0, 1] });
    await nv.attachToCanvas(viewer);
    const copy = bytes.slice().buffer;
    await nv.loadFromArrayBuffer(copy, name);
    if (overlay) {
      await nv.loadFromArrayBuffer(encodeNifti(overlay), 'saliency.nii');
      const layer = nv.volumes[nv.volumes.length - 1];
      nv.setColormap(layer.id, 'warm');
      nv.setOpacity(nv.volumes.length - 1, 0.5);
      note.textContent = 'saliency overlaid in warm colours';
    }
    nv.setSliceType(nv.sliceTypeMultiplanar);
  } catch (error) {
    viewer.hidden = true;
    note.textContent = `slice viewer unavailable (${(error as Error).message}); the model input's middle slice is shown below`;
  }
}

async function run(loaded: LoadedExport, name: string, bytes: Uint8Array, show: boolean): Promise<AppResult & { overlay?: Volume }> {
  const vol = await readFile(name, bytes, loaded.meta);
  const result: Classification = await classify(loaded, vol);
  let map: SaliencyMap | undefined;
  try {
    map = await saliency(loaded.model, result.input, loaded.meta.gradcamLayer ? { method: 'gradcam', target: result.predicted, layer: loaded.meta.gradcamLayer } : { method: 'gradient', target: result.predicted });
  } catch {
    map = await saliency(loaded.model, result.input, { method: 'gradient', target: result.predicted });
  }
  const out: AppResult & { overlay?: Volume } = {
    file: name,
    probabilities: Array.from(result.probabilities),
    classes: result.classes,
    predicted: result.classes[result.predicted] ?? String(result.predicted),
    ms: result.ms,
    backend: tf.getBackend(),
    saliency: { method: map.method, max: Math.max(...map.data.map(Math.abs)) },
  };
  if (show) {
    const rows = result.classes.map((c, i) => `<tr${i === result.predicted ? ' class="top"' : ''}><td>${escapeHtml(c)}</td><td>${(result.probabilities[i] * 100).toFixed(2)} %</td><td><div class="bar" style="width:${(result.probabilities[i] * 200).toFixed(0)}px"></div></td></tr>`);
    $('probabilities').innerHTML = `<table><tbody>${rows.join('')}</tbody></table>`;
    $('timing').textContent = `inference ${result.ms.toFixed(1)} ms on ${out.backend}`;
    $('saliency-title').textContent = `saliency (${map.method}${map.layer ? ` at ${map.layer}` : ''}) for ${out.predicted}`;
    drawOverlay($<HTMLCanvasElement>('overlay'), result.input, loaded.meta.inputShape, map);
    out.overlay = overlayOnScan(map, result, vol, loaded.meta.view !== undefined);
  }
  return out;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

async function main(): Promise<void> {
  const embedded = (window as unknown as { TRANSMRI_EXPORT?: EmbeddedExport }).TRANSMRI_EXPORT;
  if (!embedded) {
    message('model.js did not load: keep index.html, model.js and transmri-app.js in one folder', 'error');
    return;
  }
  await startBackend();
  const weights = base64ToBytes(embedded.weightsBase64);
  const loaded = await loadExportFiles({ modelJson: embedded.modelJson, weights: weights.buffer as ArrayBuffer, meta: embedded.meta });
  const meta = loaded.meta;
  $('model').textContent = `${meta.model.name}: ${meta.parameters.toLocaleString('en')} parameters, ${formatBytes(loaded.weightBytes)} of weights; input ${meta.inputShape.join('×')}; classes ${meta.classes.join(', ')}; backend ${tf.getBackend()}`;
  const handle = async (name: string, bytes: Uint8Array): Promise<AppResult | undefined> => {
    message(`reading ${name}…`);
    try {
      const kindIsImage = bytes[0] === 0x89 || bytes[0] === 0xff;
      const { overlay, ...result } = await run(loaded, name, bytes, true);
      await showOriginal(name, bytes, kindIsImage, overlay);
      message(`${name}: ${result.predicted}`);
      return result;
    } catch (error) {
      message(error instanceof TransmriError ? error.message : `unexpected error: ${(error as Error).message}`, 'error');
      return undefined;
    }
  };
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void file.arrayBuffer().then((b) => handle(file.name, new Uint8Array(b)));
  });
  const picker = $<HTMLInputElement>('file');
  picker.addEventListener('change', () => {
    const file = picker.files?.[0];
    if (file) void file.arrayBuffer().then((b) => handle(file.name, new Uint8Array(b)));
  });
  (window as unknown as { transmriApp: unknown }).transmriApp = {
    meta,
    backend: () => tf.getBackend(),
    /** Runs one file given as base64 without touching the page; or, with `show`, as a drop would. */
    classify: async (name: string, base64: string, show = false) => (show ? handle(name, base64ToBytes(base64)) : run(loaded, name, base64ToBytes(base64), false)),
  };
  document.body.dataset.ready = 'true';
  message('drop a PNG/JPEG image or a NIfTI volume (.nii, .nii.gz)');
}

void main().catch((error: unknown) => {
  message(`the model could not be loaded: ${(error as Error).message}`, 'error');
  document.body.dataset.ready = 'error';
});
