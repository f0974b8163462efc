// normal: the defined "normal load" at which the database's CPU is measured (issue 13: < 40 %).
//
// Definition: 200 requests per second arriving at a steady rate (pgbench -R, 8 pooled connections, through
// the same pgbouncer as the functions, as their login role cryo_api), each request one transaction the way
// the functions' one-round-trip path sends it (role authenticated + a member's JWT claims + one read, as one
// simple-protocol message), the reads in equal shares: a molecule by id, a list page (keyset on name, id),
// a molecule's toxicity profile (keyset page of 50), a mixture with its components. Why 200/s: 10,000 users
// (the scale data set's target) each making about one request a minute at a busy hour is ≈ 170/s.
// Needs the scale data set (`npm run db:scale`; the toxicity step of `npm run bench -- rls` for records).
// Database CPU = CPU time of the Postgres processes of this stack (postmaster and its children, /proc) over
// the phase, as a share of all the machine's cores; pgbouncer is reported beside it.
import postgres from "postgres";
import { pgbench } from "../pgbench.mjs";

export const NORMAL_RATE = 200;
export const description =
  `normal load: ${NORMAL_RATE} req/s of a member's reads (molecule, list page, toxicity profile, mixture) through the pooler; database CPU`;

/** The pgbench script: one of four reads, chosen at random, as the member, in one round trip. */
export function normalScript(claims) {
  const as = `set local role authenticated \\;\nset local request.jwt.claims to $c$${claims}$c$ \\;\n`;
  return [
    "\\set i random(1, :molecules)",
    "\\set x random(1, :mixtures)",
    "\\set kind random(1, 4)",
    "\\if :kind = 1",
    as + "select id, name, inchikey, smiles, molecular_weight from public.molecules " +
    "where id = md5('scale-molecule:' || :i)::uuid;",
    "\\elif :kind = 2",
    as + "select id, name, inchikey, molecular_weight from public.molecules " +
    "where (name, id) > ('SC-' || substr(md5('scale-name:' || :i), 1, 4), '00000000-0000-0000-0000-000000000000'::uuid) " +
    "order by name, id limit 50;",
    "\\elif :kind = 3",
    as + "select id, value_type, qualifier, value, unit, species, route from public.toxicity_records " +
    "where molecule_id = md5('scale-molecule:' || :i)::uuid order by value_type, id limit 50;",
    "\\else",
    as + "select x.name, c.concentration, c.unit, m.name from public.mixtures x " +
    "join public.mixture_components c on c.mixture_id = x.id join public.molecules m on m.id = c.molecule_id " +
    "where x.id = md5('scale-mixture:' || :x)::uuid;",
    "\\endif",
    "",
  ].join("\n");
}

/** What else Postgres is doing: active backends other than this one (autovacuum, pg_cron refreshes, clients). */
async function busy(sql) {
  return await sql`select backend_type, left(coalesce(query, ''), 60) as query from pg_stat_activity
    where pid <> pg_backend_pid() and state = 'active'
      and backend_type in ('client backend', 'autovacuum worker', 'background worker', 'pg_cron')`;
}

export default async function normal({ c, secrets, duration }) {
  const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
  let member, counts, quiet;
  try {
    // The database's own background work after a bulk load (autovacuum of millions of new rows, a matview
    // refresh by pg_cron) is not the normal load: wait for it to end (at most 3 minutes) and say so.
    const t = performance.now();
    let running = await busy(sql);
    while (running.length && performance.now() - t < 180_000) {
      await new Promise((r) => setTimeout(r, 2000));
      running = await busy(sql);
    }
    quiet = { waited_s: Math.round((performance.now() - t) / 1000), still_running: running };
    [member] = await sql`select u.id, u.email from auth.users u where u.email = 'scale-user-1@scale.local'`;
    [counts] = await sql`select
      (select count(*) from public.molecules where source = 'db:scale')::int as molecules,
      (select count(*) from public.mixtures where source = 'db:scale')::int as mixtures,
      (select count(*) from public.toxicity_records)::int as toxicity_records`;
  } finally {
    await sql.end();
  }
  if (!member || !counts.molecules || !counts.mixtures) {
    throw new Error("no scale data set: run `npm run db:scale -- --molecules N` first");
  }
  const claims = JSON.stringify({ sub: member.id, role: "authenticated", aud: "authenticated", email: member.email });
  const script = normalScript(claims);
  const vars = { molecules: counts.molecules, mixtures: counts.mixtures };
  // warm-up (connections open, caches warm), then the measured phase
  await pgbench({ c, secrets, clients: 8, seconds: Math.min(3, duration), script, rate: NORMAL_RATE, vars });
  const r = await pgbench({ c, secrets, clients: 8, seconds: duration, script, rate: NORMAL_RATE, vars });
  const check = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
  const after = await busy(check).finally(() => check.end());
  const phase = { name: `normal load, ${NORMAL_RATE} req/s, 8 pooled connections`, ...r };
  return {
    definition: description,
    data: counts,
    background: { before: quiet, after_phase: after },
    phases: [phase],
    headline: {
      rate_target: NORMAL_RATE,
      tps: r.tps,
      latency_avg_ms: r.latency_avg_ms,
      db_cpu_share_of_machine: r.cpu.postgres.share_of_machine,
      db_cpu_percent_of_machine: Math.round((r.cpu.postgres.cpu_ms / (r.cpu.wall_ms * r.cpu.cores)) * 1000) / 10,
      pgbouncer_cpu_share_of_machine: r.cpu.pgbouncer.share_of_machine,
      db_cpu_us_per_request: r.cpu.postgres.us_per_request,
      machine_busy_share: r.cpu.machine_busy.share_of_machine,
    },
  };
}
