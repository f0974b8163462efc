// In-process micro-benchmark of the database module against the running stack's pooler, without HTTP:
// how many /health/ping transactions per second one Deno isolate can drive, and how much of this process's
// CPU each one costs, for the one-round-trip path, the pipelined extended-protocol path and bare
// postgres.js. Run by `npm run load -- module` (which passes CRYO_DB_URL); prints one JSON line.
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { Database } from "../../supabase/functions/_shared/db.ts";
import { closedLoop } from "./closed-loop.ts";

const url = Deno.env.get("CRYO_DB_URL")!;
const seconds = Number(Deno.env.get("BENCH_SECONDS") ?? 5);
const concurrency = (Deno.env.get("BENCH_CONCURRENCY") ?? "16").split(",").map(Number);
const ANON = { role: "anon" };

async function measure(c: number, op: () => Promise<unknown>) {
  const m = await closedLoop(c, seconds, op);
  return { ops_per_s: Math.round(m.ops_per_s), deno_cpu_us_per_op: Math.round(m.cpu_us_per_op) };
}

const out: Record<string, unknown> = { seconds };
for (const c of concurrency) {
  const row: Record<string, unknown> = {};
  for (const oneTrip of ["1", "0"]) {
    const db = new Database(loadConfig({
      CRYO_ENV: "local",
      CRYO_DB_URL: url,
      CRYO_LOG_LEVEL: "error",
      CRYO_DB_ONE_ROUND_TRIP: oneTrip,
      CRYO_DB_QUEUE_LIMIT: "1000",
    }));
    row[oneTrip === "1" ? "module_one_round_trip" : "module_pipelined"] = await measure(
      c,
      () => db.queryAs(ANON, (tx) => tx`select 1 as ok`, { readOnly: true }),
    );
    if (oneTrip === "1") {
      // The floor: postgres.js alone, no transaction, no claims, no pool bookkeeping of ours.
      row.postgres_js_select1 = await measure(c, () => db.sql`select 1 as ok`);
    }
    await db.end();
  }
  out[`c=${c}`] = row;
}
console.log(JSON.stringify(out));
Deno.exit(0);
