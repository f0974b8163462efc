// A load run's report as Markdown (the JSON beside it holds every number): one table row per phase, the
// server's view, where the CPU went, the headline and the fault figures.

/** markdown(name, rep, c) → string, for reports/load-<name>.md; `rep` as written to reports/load-<name>.json. */
export function markdown(name, rep, c) {
  const lines = [
    `# Load scenario: ${name}`,
    "",
    `Run ${rep.at} on ${rep.machine}; stack \`${c.name}\`, functions ${c.functionsUrl}.`,
    "",
  ];
  lines.push(`Command: \`${rep.command}\``, "", `Pool settings: ${JSON.stringify(rep.pool)}`, "");
  lines.push(
    "Latencies are autocannon's own percentiles (or pgbench's average and stddev); windows of a fault run use the same HDR histogram.",
    "",
  );
  const row = (label, s) =>
    `| ${label} | ${s.requests ?? s.transactions ?? ""} | ${s.throughput_rps ?? s.tps ?? ""} | ${s.ok_rps ?? ""} | ` +
    `${s.latency_ms?.p50 ?? (s.latency_avg_ms != null ? `avg ${s.latency_avg_ms}` : "")} | ` +
    `${s.latency_ms?.p90 ?? (s.latency_stddev_ms != null ? `sd ${s.latency_stddev_ms}` : "")} | ${
      s.latency_ms?.p99 ?? ""
    } | ` +
    `${
      s.by_status ? JSON.stringify(s.by_status) : s.failed_transactions != null ? `failed ${s.failed_transactions}` : ""
    } |`;
  lines.push(
    "| phase | requests (or transactions) | req/s (or TPS) | 200/s | p50 ms (pgbench: avg) | p90 ms (pgbench: stddev) | p99 ms | by status |",
    "|---|---|---|---|---|---|---|---|",
  );
  const add = (label, s) => s && lines.push(row(label, s));
  const r = rep.result;
  if (r.phases) { for (const p of r.phases) add(p.name, p); }
  for (const k of ["overall", "before_fault", "during_outage", "slow", "ping"]) add(k, r[k]);
  if (r.requests) add(name, r);
  lines.push("");
  if (r.phases) {
    for (const p of r.phases) if (p.server) lines.push(`Server side (${p.name}): ${JSON.stringify(p.server)}`, "");
    const cpuPhases = r.phases.filter((p) => p.cpu);
    if (cpuPhases.length) {
      const keys = ["load_generator", "deno", "pgbouncer", "postgres", "pgbench"];
      lines.push(
        "### Where the CPU went (µs of CPU per request or transaction; share of all cores)",
        "",
        `| phase | ${keys.join(" | ")} | others on the machine (ms) |`,
        `|---|${keys.map(() => "---|").join("")}---|`,
      );
      for (const p of cpuPhases) {
        lines.push(
          `| ${p.name} | ${
            keys.map((k) => p.cpu[k] ? `${p.cpu[k].us_per_request} (${p.cpu[k].share_of_machine})` : "").join(" | ")
          } | ${p.cpu.others_on_machine_cpu_ms} |`,
        );
      }
      lines.push("");
    }
  } else if (r.server) lines.push(`Server side: ${JSON.stringify(r.server)}`, "");
  if (r.headline) lines.push("## Headline", "", ...Object.entries(r.headline).map(([k, v]) => `- ${k}: **${v}**`), "");
  if ("fail_fast_ms" in r) {
    lines.push(
      `Fault: ${r.name}; events ${JSON.stringify(r.events_ms)}.`,
      "",
      `- fail-fast latency of 503s during the outage (ms): ${JSON.stringify(r.fail_fast_ms)}`,
      `- recovery after the restart completed: **${
        r.recovery_ms_after_restart ?? "not within the run"
      } ms** (first 200 followed by 1 s of only 200s)`,
      "",
    );
  }
  const inProcess = Object.keys(r).filter((k) => k.startsWith("c="));
  if (inProcess.length) {
    lines.push("| callers | path | transactions/s | Deno CPU µs per transaction |", "|---|---|---|---|");
    for (const k of inProcess) {
      for (const [path, v] of Object.entries(r[k])) {
        lines.push(`| ${k} | ${path} | ${v.ops_per_s} | ${v.deno_cpu_us_per_op} |`);
      }
    }
    lines.push("");
  }
  if (r.note) lines.push(`Note: ${r.note}`, "");
  return lines.join("\n");
}
