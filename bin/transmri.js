#!/usr/bin/env node
// The `transmri` command. In an installed package it runs the compiled CLI (dist/src/cli/main.js);
// in a source checkout (src/ present, tsx installed as a dev dependency) it runs src/cli/main.ts
// through tsx, so `npx transmri` in the repository always runs the current source.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
} else if (!existsSync(entry)) {
  process.stderr.write('transmri: dist/ is missing: build the package first (npm run build)\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
