// The raw baseline: pgbench through the same pgbouncer, as the same login role (cryo_api) the functions use.
// Its numbers are pgbench's own summary lines (transactions, TPS, latency average and stddev, failures).
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/config.mjs";
import { pgBin } from "../lib/proc.mjs";
import { cpuDelta, cpuSnapshot } from "./cpu.mjs";

export const SELECT1 = "select 1;\n";
/** What GET /health/ping sends: one simple-protocol query (pgbench's `\;` joins the lines into one message). */
export const PING_TX = 'set local role anon \\;\nset local request.jwt.claims to $c${"role":"anon"}$c$ \\;\n' +
  "set local statement_timeout = 3000 \\;\nset local transaction_read_only = on \\;\nselect 1 as ok;\n";
/** What GET bench/ping-pipelined (and the module before the one-round-trip path) runs, one round trip a statement. */
export const PING_TX_PIPELINED =
  "begin read only;\nselect set_config('request.jwt.claims', '{\"role\":\"anon\"}', true), " +
  "set_config('role', 'anon', true), set_config('statement_timeout', '3000', true);\nselect 1 as ok;\ncommit;\n";

/** One number of pgbench's summary (`<label> = <n>` or `<label>: <n>`), or null when it did not print it. */
function summaryNumber(out, label) {
  const m = out.match(new RegExp(`^${label}\\s*[=:]\\s*([\\d.]+)`, "m"));
  return m ? Number(m[1]) : null;
}

/**
 * pgbench({ c, secrets, clients, seconds, script, rate, vars }) → Promise<{ clients, seconds, transactions, tps,
 * latency_avg_ms, latency_stddev_ms, failed_transactions, cpu, raw_tail }>: `script` (a custom transaction)
 * run by `clients` connections for `seconds` through stack `c`'s pooler; `rate` (transactions/s, optional)
 * throttles it to that arrival rate (pgbench -R: latency then includes the schedule lag); `vars` (optional
 * { name: value }) are pgbench -D variables of the script. -P at the run's length makes pgbench
 * print its latency stddev; its CPU comes from the shell's `times` (an exited child has no /proc entry left).
 */
export function pgbench({ c, secrets, clients, seconds, script, rate, vars = {} }) {
  const file = join(ROOT, ".local", `pgbench-${Math.random().toString(36).slice(2)}.sql`);
  writeFileSync(file, script);
  return new Promise((resolve) => {
    const p = spawn("sh", [
      "-c",
      `"$0" "$@"; times`,
      pgBin("pgbench"),
      "-n",
      "-h",
      "127.0.0.1",
      "-p",
      String(c.ports.pooler),
      "-U",
      "cryo_api",
      "-c",
      String(clients),
      "-j",
      "2",
      "-T",
      String(seconds),
      "-P",
      String(seconds),
      ...(rate ? ["-R", String(rate)] : []),
      ...Object.entries(vars).flatMap(([k, v]) => ["-D", `${k}=${v}`]),
      "-f",
      file,
      "postgres",
    ], { env: { ...process.env, PGPASSWORD: secrets.apiPassword } });
    const cpu0 = cpuSnapshot(c);
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", () => {
      rmSync(file, { force: true });
      const times = [...out.matchAll(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/g)].at(-1); // children: user, system
      const cpu1 = cpuSnapshot(c);
      cpu1.pgbench = cpu0.pgbench +
        (times ? (Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])) * 1000 : 0);
      const transactions = summaryNumber(out, "number of transactions actually processed");
      const tps = summaryNumber(out, "tps");
      resolve({
        clients,
        seconds,
        transactions,
        tps: tps === null ? null : Math.round(tps),
        latency_avg_ms: summaryNumber(out, "latency average"),
        latency_stddev_ms: summaryNumber(out, "latency stddev"),
        failed_transactions: summaryNumber(out, "number of failed transactions"),
        cpu: cpuDelta(cpu0, cpu1, transactions),
        raw_tail: out.trim().split("\n").filter((l) => !/^\d+m/.test(l) && !/^progress:/.test(l)).slice(-3),
      });
    });
  });
}
