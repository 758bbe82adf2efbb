/** Benchmark children: each measurement runs in its own process and prints one JSON line. */
import { spawnSync } from 'node:child_process';

/** Runs `cmd args` in `cwd` with `env`; returns its last stdout line starting with "{", parsed, or undefined (after printing why) when it failed. */
export function runJsonChild(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Record<string, number | string> | undefined {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || line === undefined) {
    console.error(`  ${cmd} ${args.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  return JSON.parse(line) as Record<string, number | string>;
}
