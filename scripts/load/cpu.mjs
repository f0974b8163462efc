// Where the CPU goes during a phase (Linux /proc; the machine's cores are shared by every piece): Deno (the
// functions server), pgbouncer, Postgres (postmaster and its children), this process (autocannon runs in it),
// pgbench, and the whole machine.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readPid } from "../lib/proc.mjs";

const TICK_MS = 10; // USER_HZ is 100 on Linux
function procTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime + stime, and cutime + cstime: the CPU of children it has waited for (the postmaster's exited
    // backends and autovacuum workers), so a backend that exits between two snapshots keeps its CPU counted
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}
/** CPU ms used so far by: Deno (functions server), pgbouncer, Postgres (postmaster and its children), this
 * process (the load generator: autocannon runs in it), pgbench, and the whole machine. */
/** CPU ms used so far by each piece of stack `c` (pgbench: 0, added by pgbench.mjs from `times`). */
export function cpuSnapshot(c) {
  const postmaster = readPid(join(c.pgdata, "postmaster.pid"));
  const deno = readPid(c.functionsPid);
  const pooler = readPid(c.pgbouncerPid);
  const out = { deno: 0, pgbouncer: 0, postgres: 0, pgbench: 0 };
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const t = procTicks(pid);
    if (!t) continue;
    if (pid === deno) out.deno += t.ticks;
    else if (pid === pooler) out.pgbouncer += t.ticks;
    else if (pid === postmaster) out.postgres += t.ticks + t.children;
    else if (t.ppid === postmaster) out.postgres += t.ticks;
  }
  for (const k of Object.keys(out)) out[k] *= TICK_MS;
  const u = process.cpuUsage();
  out.load_generator = (u.user + u.system) / 1000;
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  out.machine_busy = (cpu.reduce((a, b) => a + b, 0) - cpu[3] - (cpu[4] ?? 0)) * TICK_MS;
  out.at = performance.now();
  return out;
}
/** CPU of each piece between two snapshots: ms, share of the machine's cores, and µs per request. */
export function cpuDelta(a, b, requests) {
  const wall = b.at - a.at;
  const cores = CORES;
  const out = { wall_ms: Math.round(wall), cores };
  for (const k of ["load_generator", "deno", "pgbouncer", "postgres", "pgbench", "machine_busy"]) {
    const ms = b[k] - a[k];
    if (k === "pgbench" && !ms) continue;
    out[k] = {
      cpu_ms: Math.round(ms),
      share_of_machine: Math.round((ms / (wall * cores)) * 100) / 100,
      ...(requests ? { us_per_request: Math.round((ms * 1000) / requests) } : {}),
    };
  }
  const known = ["load_generator", "deno", "pgbouncer", "postgres", "pgbench"].reduce(
    (s, k) => s + (out[k]?.cpu_ms ?? 0),
    0,
  );
  out.others_on_machine_cpu_ms = Math.round(out.machine_busy.cpu_ms - known);
  return out;
}
const CORES = readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm)?.length ?? 2;
