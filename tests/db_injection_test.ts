// Threat: a value read as SQL. Whatever a template places around `${value}` — a value position, or inside a
// quoted string, a quoted identifier, a dollar-quoted body, a comment, glued to an identifier — the rendered
// path (one round trip, values as transaction settings) must answer exactly as the bind-parameter path does,
// for random values, and must take the bind path itself where the placeholder is not a value position.
import assert from "node:assert/strict";
import fc from "fast-check";
import { POOLER_URL } from "./_helpers.ts";
import { FaultProxy } from "./_proxy.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database, DbError } from "../supabase/functions/_shared/db.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const poolerPort = Number(new URL(POOLER_URL.replace(/^postgres(ql)?:/, "http:")).port);

// deno-lint-ignore no-explicit-any
type Tx = any;
type Placement = { name: string; value: boolean; q: (tx: Tx, v: string) => unknown };

// Each template is one call site (the renderer caches its verdict per call site and role).
const PLACEMENTS: Placement[] = [
  { name: "select list, untyped", value: true, q: (tx, v) => tx`select ${v} as v` },
  { name: "cast and function argument", value: true, q: (tx, v) => tx`select ${v}::text as v, length(${v}) as n` },
  { name: "concatenated pattern", value: true, q: (tx, v) => tx`select 'a%b' like '%' || ${v} || '%' as m` },
  {
    name: "where clause",
    value: true,
    q: (tx, v) => tx`select count(*)::int as n from (values ('x'), ('y')) t(c) where c = ${v}`,
  },
  { name: "jsonb", value: true, q: (tx, v) => tx`select ${v}::jsonb as j` },
  { name: "array element", value: true, q: (tx, v) => tx`select ${[v, "b"]}::text[] as a` },
  { name: "inside a quoted string", value: false, q: (tx, v) => tx`select '%${v}%' as v` },
  { name: "inside a quoted identifier", value: false, q: (tx, v) => tx`select 1 as "${v}"` },
  { name: "inside a dollar-quoted body", value: false, q: (tx, v) => tx`select $x$${v}$x$ as v` },
  { name: "in a line comment", value: false, q: (tx, v) => tx`select 1 as v -- ${v}` },
  { name: "in a block comment", value: false, q: (tx, v) => tx`select /* ${v} */ 1 as v` },
  { name: "glued to an identifier", value: false, q: (tx, v) => tx`select 1 as n${v}` },
];

const ATTACKS = [
  "'; set local role postgres; select '",
  "$c$; select pg_catalog.set_config('request.jwt.claims', '{\"sub\":\"x\"}', false); --",
  '"; drop table public.molecules; --',
  "*/ select 1; /*",
  "\n select pg_catalog.set_config('role', 'postgres', false)",
  "$x$ || (select current_user) || $x$",
  "1 union select current_user",
  "a\0b",
  '{"a": 1}',
];

const values = fc.oneof(
  fc.constantFrom(...ATTACKS),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
);

type Outcome = { ok: unknown } | { status: number; code: string };

async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    const rows = await p as Record<string, unknown>[];
    return { ok: rows.map((r) => ({ ...r })) };
  } catch (e) {
    if (!(e instanceof DbError)) throw e;
    return { status: e.status, code: e.code };
  }
}

Deno.test(
  "random values in every placement answer the same on the rendered and the bind-parameter paths",
  opts,
  async () => {
    const db = new Database(loadConfig({ CRYO_ENV: "local", CRYO_LOG_LEVEL: "error", CRYO_DB_URL: POOLER_URL }));
    try {
      for (const p of PLACEMENTS) {
        await fc.assert(
          fc.asyncProperty(values, async (v) => {
            const fast = await outcome(db.queryAs({ role: "anon" }, (tx) => p.q(tx, v) as never, { readOnly: true }));
            const bind = await outcome(
              db.queryAs({ role: "anon" }, (tx) => p.q(tx, v) as never, { readOnly: true, extended: true }),
            );
            assert.deepEqual(fast, bind, `${p.name}: ${JSON.stringify(v)}`);
          }),
          { numRuns: 60 },
        );
        // No value can have changed anything that outlives its transaction.
        const [me] = await db.queryAs<{ role: string; uid: string | null }[]>(
          { role: "anon" },
          (tx) => tx`select current_user as role, auth.uid() as uid`,
        );
        assert.deepEqual({ ...me }, { role: "anon", uid: null }, p.name);
      }
    } finally {
      await db.end();
    }
  },
);

Deno.test("value placements take the rendered path; every other placement takes bind parameters", opts, async () => {
  const proxy = new FaultProxy(poolerPort);
  const db = new Database(loadConfig({
    CRYO_ENV: "local",
    CRYO_LOG_LEVEL: "error",
    CRYO_DB_URL: POOLER_URL.replace(`:${poolerPort}/`, `:${proxy.port}/`),
  }));
  try {
    for (const p of PLACEMENTS) {
      const call = () =>
        outcome(db.queryAs({ role: "anon" }, (tx) => p.q(tx, ATTACKS[0]) as never, { readOnly: true }));
      await call(); // the call site is verified once
      const before = proxy.extendedWrites;
      await call();
      if (p.value) assert.equal(proxy.extendedWrites, before, `${p.name}: simple-protocol text only`);
      else assert.ok(proxy.extendedWrites > before, `${p.name}: bind parameters`);
    }
  } finally {
    await db.end();
    await proxy.stop();
  }
});
