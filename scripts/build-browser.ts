/**
 * `npm run build:browser`: the browser bundles (dist/browser/transmri-runtime.mjs, the ESM runtime,
 * and dist/browser/transmri-app.js, the static app's script) built with esbuild from src/browser/.
 * Part of `npm run build`; `transmri app` also builds them on demand in a source checkout.
 */
import { buildBrowserBundles } from '../src/app/bundle.js';

const dir = await buildBrowserBundles();
console.log(`browser bundles in ${dir}`);
