// Closed-loop measurement shared by the in-process benchmarks (scripts/load/module-bench.ts,
// scripts/bench/module-compare.ts): `concurrency` callers each run `op` back to back for `seconds`, after a
// warm-up, and the result is operations per second and this process's CPU (user + system) per operation.
import { cpuUsage } from "node:process";

/** Ops per second and µs of this process's CPU per op, for `concurrency` closed-loop callers over `seconds`. */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  op: () => Promise<unknown>,
  warmupMs = 500,
): Promise<{ ops_per_s: number; cpu_us_per_op: number }> {
  const warm = performance.now() + warmupMs;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < warm) await op();
  }));
  let n = 0;
  const before = cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) (await op(), n++);
  }));
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuUsage(before);
  return { ops_per_s: n / s, cpu_us_per_op: (cpu.user + cpu.system) / n };
}
