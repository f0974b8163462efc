#!/usr/bin/env node
// Side-by-side HTTP comparison of two checkouts' edge functions against the running dev stack: each checkout's
// functions server on its own port, autocannon against one then the other, alternating for several rounds, so
// a noisy machine affects both alike. Reports the median req/s and p99 per checkout.
//   node scripts/bench/http-compare.mjs --before <checkout> --after <checkout> [--path /health/ping]
//     [--connections 16] [--seconds 5] [--rounds 4] [--out reports/x.json]
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { readSecrets, stackConfig } from "../lib/config.mjs";
import { functionsEnv, functionsServerCommand } from "../lib/functions.mjs";
import { waitFor } from "../lib/proc.mjs";

const { values: a } = parseArgs({
  options: {
    before: { type: "string" },
    after: { type: "string" },
    path: { type: "string", default: "/health/ping" },
    connections: { type: "string", default: "16" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "4" },
    out: { type: "string" },
  },
});
const c = stackConfig("dev");
const env = functionsEnv(c, readSecrets(c));
const servers = {};
let port = c.ports.api + 10;
for (const [name, dir] of [["before", a.before], ["after", a.after]]) {
  const p = ++port;
  const root = resolve(dir);
  const child = spawn(...functionsServerCommand(root), {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, ...env, CRYO_FUNCTIONS_PORT: String(p), CRYO_LOG_LEVEL: "error" },
  });
  servers[name] = { child, url: `http://127.0.0.1:${p}/functions/v1${a.path}`, rps: [], p99: [] };
  const ok = await waitFor(async () => (await fetch(servers[name].url).then((r) => r.ok, () => false)), 30000, 200);
  if (!ok) throw new Error(`${name} functions server did not answer ${servers[name].url}`);
}
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
try {
  for (let r = 0; r < Number(a.rounds); r++) {
    for (const name of r % 2 ? ["after", "before"] : ["before", "after"]) {
      const s = servers[name];
      // Each connection is a caller of its own (its own apikey), as in the load scenarios: the per-caller rate
      // limit of the newer functions then limits no connection.
      let n = 0;
      const setupClient = (client) => client.setHeaders({ "x-forwarded-for": `198.18.${Math.floor(n / 250)}.${1 + (n++ % 250)}` });
      const res = await autocannon({ url: s.url, connections: Number(a.connections), duration: Number(a.seconds), setupClient });
      s.rps.push(res.requests.average);
      s.p99.push(res.latency.p99);
      if (res.non2xx) console.error(`${name}: ${res.non2xx} non-2xx answers`);
    }
  }
} finally {
  for (const s of Object.values(servers)) s.child.kill("SIGTERM");
}
const out = { path: a.path, connections: Number(a.connections), seconds: Number(a.seconds), rounds: Number(a.rounds) };
for (const [name, s] of Object.entries(servers)) {
  out[name] = { rps_median: Math.round(median(s.rps)), p99_ms_median: median(s.p99), rps: s.rps.map(Math.round) };
}
out.after_over_before = Number((out.after.rps_median / out.before.rps_median).toFixed(3));
if (a.out) writeFileSync(a.out, JSON.stringify(out, null, 2) + "\n");
console.log(JSON.stringify(out, null, 2));
process.exit(0);
