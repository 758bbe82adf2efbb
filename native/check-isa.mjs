// Checks that a built addon runs on a baseline x86-64 CPU until it has
// checked the CPU: every function that uses AVX instructions (VEX/EVEX
// encodings, ymm/zmm or mask registers) must belong to an instruction-set
// path chosen at run time: the namespaces tmri::avx2 / tmri::avx512, including
// their OpenMP outlined parts. target_clones are refused too (their ".resolver"
// picks a clone by the CPU alone, so setSimd('sse2') would not reach them).
// Usage: node native/check-isa.mjs [path/to/transmri_native.node]
// Exit status 0: clean; 1: offending functions listed; 2: objdump missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Names of the functions in `file` that use AVX instructions outside the run-time-selected paths. */
export function findBaselineViolations(file) {
  const r = spawnSync('objdump', ['-d', '--no-show-raw-insn', '-C', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) return { error: `objdump failed: ${r.error?.message ?? r.stderr}` };
  const bad = new Map();
  let fn = '';
  const allowed = (name) => /tmri::avx(2|512)::/.test(name);
  for (const line of r.stdout.split('\n')) {
    const head = /^[0-9a-f]+ <(.*)>:$/.exec(line);
    if (head) {
      fn = head[1];
      if (/\.resolver$/.test(fn)) bad.set(`${fn} (a target_clones dispatcher: chooses by CPU, ignoring setSimd)`, 1);
      continue;
    }
    const ins = /^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$/.exec(line);
    if (!ins || allowed(fn)) continue;
    const [, op, args] = ins;
    const avx = (/^v[a-z]/.test(op) && !/^ver[rw]$/.test(op)) || /%[yz]mm\d|%k[0-7]\b/.test(args);
    if (avx) bad.set(fn, (bad.get(fn) ?? 0) + 1);
  }
  return { bad: [...bad.entries()].map(([name, count]) => ({ name, count })) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? join(here, 'build', 'Release', 'transmri_native.node');
  if (!existsSync(file)) { console.error(`check-isa: ${file} not found`); process.exit(1); }
  const res = findBaselineViolations(file);
  if (res.error) { console.error(`check-isa: ${res.error}`); process.exit(2); }
  if (res.bad.length > 0) {
    console.error(`check-isa: ${file} uses AVX outside the run-time-selected paths in ${res.bad.length} functions:`);
    for (const b of res.bad.slice(0, 40)) console.error(`  ${b.count} instructions in ${b.name}`);
    process.exit(1);
  }
  console.log(`check-isa: ${file}: AVX instructions only in the avx2/avx512 paths`);
}
