// Side-by-side, in-process comparison of two versions of the database module (no HTTP), interleaved in one
// run so a noisy machine affects both alike: transactions per second and this process's CPU per transaction,
// for the smallest pooled transaction (as anon) and a user-scoped indexed read under RLS (as a member).
//   deno run -A --config deno.json scripts/bench/module-compare.ts --before <checkout> --after <checkout>
// Needs CRYO_DB_URL (pooler, as cryo_api) and DB_URL (direct, as postgres, to pick the user and key).
import { parseArgs } from "node:util";
import postgres from "postgres";
import { closedLoop } from "../load/closed-loop.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    before: { type: "string" },
    after: { type: "string" },
    seconds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "5" },
    out: { type: "string" },
  },
});
const url = Deno.env.get("CRYO_DB_URL")!;
const admin = postgres(Deno.env.get("DB_URL")!, { max: 1, prepare: false, onnotice: () => {} });
const [who] = await admin`
  select u.id::text as sub, m.inchikey from auth.users u
  join public.team_members tm on tm.user_id = u.id
  join public.molecules m on m.team_id = tm.team_id and m.inchikey is not null
  where u.email = 'alice@example.org' limit 1`;
await admin.end();
const member = { role: "authenticated", sub: who.sub };

type Db = { queryAs: (c: unknown, b: (tx: any) => unknown, o?: unknown) => Promise<unknown>; end: () => Promise<void> };
async function load(root: string): Promise<Db> {
  const base = new URL(`file://${Deno.realPathSync(root)}/supabase/functions/_shared/`);
  const { Database } = await import(new URL("db.ts", base).href);
  const { loadConfig } = await import(new URL("config.ts", base).href);
  return new Database(
    loadConfig({ CRYO_ENV: "local", CRYO_DB_URL: url, CRYO_LOG_LEVEL: "error", CRYO_DB_QUEUE_LIMIT: "1000" }),
  );
}

const workloads: Record<string, (db: Db) => Promise<unknown>> = {
  ping_anon: (db) => db.queryAs({ role: "anon" }, (tx) => tx`select 1 as ok`, { readOnly: true }),
  member_lookup: (db) =>
    db.queryAs(member, (tx) => tx`select id, name from public.molecules where inchikey = ${who.inchikey}`, {
      readOnly: true,
    }),
};

async function measure(c: number, seconds: number, op: () => Promise<unknown>) {
  const m = await closedLoop(c, seconds, op, 300);
  return { tps: m.ops_per_s, cpu_us: m.cpu_us_per_op };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const variants = { before: await load(args.before!), after: await load(args.after!) };
const samples: Record<string, Record<string, { tps: number[]; cpu_us: number[] }>> = {};
for (let r = 0; r < Number(args.rounds); r++) {
  for (const [w, op] of Object.entries(workloads)) {
    for (const [v, db] of r % 2 ? Object.entries(variants).reverse() : Object.entries(variants)) {
      const m = await measure(Number(args.concurrency), Number(args.seconds), () => op(db));
      const s = ((samples[w] ??= {})[v] ??= { tps: [], cpu_us: [] });
      s.tps.push(m.tps);
      s.cpu_us.push(m.cpu_us);
    }
  }
}
for (const db of Object.values(variants)) await db.end();
const result: Record<string, unknown> = {
  rounds: Number(args.rounds),
  seconds: Number(args.seconds),
  concurrency: Number(args.concurrency),
};
for (const [w, byV] of Object.entries(samples)) {
  const row: Record<string, unknown> = {};
  for (const [v, s] of Object.entries(byV)) {
    row[v] = {
      tps_median: Math.round(median(s.tps)),
      cpu_us_median: Math.round(median(s.cpu_us)),
      tps: s.tps.map(Math.round),
    };
  }
  row.after_over_before_tps = Number((median(byV.after.tps) / median(byV.before.tps)).toFixed(3));
  result[w] = row;
}
const text = JSON.stringify(result, null, 2);
if (args.out) await Deno.writeTextFile(args.out, text + "\n");
console.log(text);
Deno.exit(0);
