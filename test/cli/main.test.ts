import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { OptionError } from '../../src/backend/errors.js';
import { addConfigOption, checkOptions, parseInteger, readConfigFile, resolveOptions } from '../../src/cli/config.js';
import { buildProgram, main } from '../../src/cli/main.js';
import { EXPERIMENTS, experimentCommand } from '../../src/cli/commands/run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'transmri-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs main with captured stdout/stderr. */
async function runMain(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((t) => ((out += String(t)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((t) => ((err += String(t)), true));
  try {
    const code = await main(['node', 'transmri', ...args], (t) => (err += t));
    return { code, out, err };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

const Options = z.strictObject({ data: z.string(), epochs: z.number().int().positive(), lr: z.number() });
function toyCommand(seen: unknown[]): Command {
  return addConfigOption(
    new Command('toy').option('--data <path>', 'data').option('--epochs <n>', 'epochs', parseInteger, 3).option('--lr <x>', 'learning rate', Number, 0.01),
  ).action(async (_o, cmd: Command) => {
    seen.push(await resolveOptions(cmd, Options));
  });
}

describe('config files', () => {
  it('reads JSON and YAML; refuses other extensions and non-objects, naming the file', async () => {
    await writeFile(join(dir, 'a.json'), '{"epochs": 4}');
    await writeFile(join(dir, 'a.yaml'), 'epochs: 5\nlr: 0.5\n');
    await writeFile(join(dir, 'list.yml'), '- 1\n- 2\n');
    expect(await readConfigFile(join(dir, 'a.json'))).toEqual({ epochs: 4 });
    expect(await readConfigFile(join(dir, 'a.yaml'))).toEqual({ epochs: 5, lr: 0.5 });
    await expect(readConfigFile(join(dir, 'list.yml'))).rejects.toThrow(/list\.yml: a config file holds one object/);
    await expect(readConfigFile(join(dir, 'a.toml'))).rejects.toThrow(/a\.toml: config file must end in \.json, \.yaml or \.yml/);
    await expect(readConfigFile(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read config file/);
  });

  it('names an unknown key and a key of the wrong type', () => {
    expect(() => checkOptions(Options, { data: 'x', epochs: 1, lr: 1, epoch: 2 }, 'f.yaml')).toThrow(OptionError);
    expect(() => checkOptions(Options, { data: 'x', epochs: 1, lr: 1, epoch: 2 }, 'f.yaml')).toThrow('option epoch: unknown key in f.yaml (known: data, epochs, lr)');
    expect(() => checkOptions(Options, { data: 'x', epochs: 'ten', lr: 1 }, 'f.yaml')).toThrow(/^option epochs: .*expected number.*\(in f\.yaml\)$/);
  });

  it('merges defaults < config file < flags', async () => {
    await writeFile(join(dir, 'toy.yaml'), 'data: from-file.csv\nepochs: 7\n');
    const seen: unknown[] = [];
    await toyCommand(seen).parseAsync(['--config', join(dir, 'toy.yaml'), '--epochs', '9'], { from: 'user' });
    expect(seen[0]).toEqual({ data: 'from-file.csv', epochs: 9, lr: 0.01 });
  });

  it('an unknown key in the config file is an error naming the key and the file', async () => {
    await writeFile(join(dir, 'bad.json'), '{"data": "x.csv", "epoch": 7}');
    await expect(toyCommand([]).parseAsync(['--config', join(dir, 'bad.json')], { from: 'user' })).rejects.toThrow(/option epoch: unknown key in .*bad\.json/);
  });
});

describe('transmri main', () => {
  it('--help lists the subcommands, exit 0', async () => {
    const r = await runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: transmri/);
    expect(r.out).toMatch(/run <experiment>/);
  });

  it('every subcommand has a --help whose option descriptions start in one column', () => {
    const program = buildProgram();
    for (const cmd of program.commands) {
      const help = cmd.helpInformation();
      const lines = help.split('\n').filter((l) => /^ {2}-\S.*\S {2,}\S/.test(l));
      expect(lines.length, cmd.name()).toBeGreaterThan(0);
      const columns = new Set(lines.map((l) => /^( {2}-\S.*?\S {2,})\S/.exec(l)![1].length));
      expect(columns.size, `${cmd.name()}:\n${help}`).toBe(1);
    }
  });

  it('a user error is one line and exit 2; --debug shows the stack', async () => {
    const r = await runMain(['run', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`transmri: option experiment: unknown experiment "nope" (known: ${Object.keys(EXPERIMENTS).join(', ')})\n`);
    const d = await runMain(['run', 'nope', '--debug']);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/OptionError: option experiment[\s\S]*\n\s+at /);
  });

  it('an unknown option exits 2 with commander\'s one-line message', async () => {
    const r = await runMain(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: unknown option '--bogus'/);
  });

  it('every experiment script of scripts/ is known to run, and run maps an experiment to its script, through tsx from the source checkout', () => {
    const entryPoints = readdirSync(join(import.meta.dirname, '..', '..', 'scripts'))
      .filter((f) => f.endsWith('.ts') && readFileSync(join(import.meta.dirname, '..', '..', 'scripts', f), 'utf8').includes('isEntryPoint(import.meta.url)'))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(Object.values(EXPERIMENTS).map((e) => e.script).sort()).toEqual(entryPoints.sort());
    // and each has an npm script (README's scripts table lists them)
    const npmScripts = Object.values((JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    for (const script of entryPoints) expect(npmScripts, script).toContain(`tsx scripts/${script}.ts`);
    const cmd = experimentCommand('ixi', ['--help']);
    expect(cmd[0]).toBe(process.execPath);
    expect(cmd.slice(-2)).toEqual([expect.stringMatching(/scripts[/\\]ixi-transfer\.ts$/), '--help']);
  });
});
