/**
 * The bench's job: a fixed amount of CPU work (a deterministic floating-point loop), no I/O, so that
 * two jobs at once on two cores take as long as one alone when nothing else runs.
 */
import type { SweepJobContext, SweepJobResults } from '../../src/index.js';

/** `iterations` steps of a logistic-map-like recurrence; returns the final value. */
export function spin(iterations: number, seed: number): number {
  let x = 0.1 + seed * 1e-3;
  for (let i = 0; i < iterations; i++) x = 3.9 * x * (1 - x) + 1e-12 * Math.sqrt(i);
  return x;
}

export default function spinJob(settings: Record<string, unknown>, context: SweepJobContext): SweepJobResults {
  const c0 = process.cpuUsage();
  const x = spin(Number(settings.iterations), context.seed);
  const c = process.cpuUsage(c0);
  return { metrics: { x }, cpuSeconds: (c.user + c.system) / 1e6 };
}
