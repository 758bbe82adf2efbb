/**
 * File-level safety of checkpoints: per-file sizes and CRC-32 checksums (written into the
 * manifest, checked before anything is decoded), and the leftovers of a write that was killed
 * between its steps (`.<name>.tmp-<pid>-<ts>` and `.<name>.old-<pid>-<ts>` next to the checkpoint).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { FormatError } from '../backend/errors.js';

/** Size and CRC-32 (8 hex digits) of one checkpoint file, by path relative to the checkpoint. */
export type CheckpointFiles = Record<string, { bytes: number; crc32: string }>;

function crcHex(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, '0');
}

/** Sizes and checksums of the given files (relative to `dir`). */
export async function checksumFiles(dir: string, files: readonly string[]): Promise<CheckpointFiles> {
  const out: CheckpointFiles = {};
  for (const f of files) {
    const bytes = await readFile(join(dir, f));
    out[f] = { bytes: bytes.byteLength, crc32: crcHex(bytes) };
  }
  return out;
}

/** Every file under `dir` (recursive), relative to it, sorted; `manifest.json` excluded. */
export async function listFiles(dir: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (rel !== 'manifest.json') out.push(rel);
  }
  return out.sort();
}

/**
 * Checks every file listed in a manifest (or those `which` selects) against its recorded size and
 * checksum (a checkpoint written before checksums existed lists none).
 * @throws FormatError naming the file when it is missing, has another length, or another checksum
 */
export async function verifyCheckpointFiles(dir: string, files: CheckpointFiles | undefined, which: (file: string) => boolean = () => true): Promise<void> {
  for (const [rel, want] of Object.entries(files ?? {})) {
    if (!which(rel)) continue;
    const file = join(dir, rel);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new FormatError(`listed in the manifest but cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, file);
    }
    if (bytes.byteLength !== want.bytes) throw new FormatError(`truncated or extended: ${bytes.byteLength} bytes, the manifest says ${want.bytes}`, file);
    const got = crcHex(bytes);
    if (got !== want.crc32) throw new FormatError(`checksum mismatch (crc32 ${got}, the manifest says ${want.crc32}): the file is corrupted`, file);
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp and old copies of checkpoint `dir` left by processes that no longer run. When
 * `dir` itself is missing (killed between the two renames of a swap), the newest complete old
 * copy is renamed back into place first. Leftovers of a running process are kept.
 */
export async function removeCheckpointLeftovers(dir: string): Promise<void> {
  const parent = dirname(dir);
  const prefix = `.${basename(dir)}.`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  const dead = names
    .map((name) => ({ name, m: name.startsWith(prefix) ? /^(tmp|old)-(\d+)-(\d+)$/.exec(name.slice(prefix.length)) : null }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null && !alive(Number(x.m[2])));
  if (!existsSync(dir)) {
    const olds = dead.filter((x) => x.m[1] === 'old' && existsSync(join(parent, x.name, 'manifest.json'))).sort((a, b) => Number(a.m[3]) - Number(b.m[3]));
    const newest = olds[olds.length - 1];
    if (newest) {
      await rename(join(parent, newest.name), dir);
      dead.splice(dead.indexOf(newest), 1);
    }
  }
  for (const x of dead) {
    // a leftover that vanished meanwhile (another process cleaning) is fine
    if ((await stat(join(parent, x.name)).catch(() => null)) !== null) await rm(join(parent, x.name), { recursive: true, force: true });
  }
}
