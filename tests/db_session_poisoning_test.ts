// Threat: session state left on a pooled server connection reaches other clients. pgbouncer and Supavisor do
// not reset sessions in transaction mode, so a client with SQL on the pooler can leave session-level
// settings, a role and temp objects on every server connection. Every transaction of the database module must
// start from a known state whatever was left behind: identity, settings, role, and no temp shadowing.
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, POOLER_URL } from "./_helpers.ts";
import { liveServiceClaims } from "./_tokens.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Holds every server connection of the pooler at once and runs `sql` on each, at session level. */
async function onEveryServerConnection(sql: string) {
  const client = postgres(POOLER_URL, { max: 30, prepare: false, onnotice: () => {} });
  try {
    await Promise.all(Array.from({ length: 30 }, () =>
      client.begin(async (t) => {
        await t.unsafe(sql);
        await t`select pg_sleep(0.3)`;
      })));
  } finally {
    await client.end();
  }
}

/** Holds every server connection of the pooler at once and leaves poison on each (session level). */
async function poisonEveryServerConnection(aliceSub: string) {
  const attacker = postgres(POOLER_URL, { max: 30, prepare: false, onnotice: () => {} });
  try {
    await Promise.all(Array.from({ length: 30 }, () =>
      attacker.begin(async (t) => {
        await t.unsafe(`
          reset all;
          set request.jwt.claim.sub = '${aliceSub}';
          set request.jwt.claim.role = 'authenticated';
          set request.jwt.claim = '{"sub":"${aliceSub}","role":"authenticated","scope":"molecules:write"}';
          set request.jwt.claims = '{"sub":"${aliceSub}","role":"authenticated"}';
          set row_security = off;
          set default_transaction_read_only = on;
          set default_transaction_isolation = 'serializable';
          set search_path = pg_temp, public;
          set bytea_output = escape;
          set extra_float_digits = -15;
          set datestyle = 'SQL, DMY';
          set intervalstyle = 'sql_standard';
          set timezone = 'Pacific/Chatham';
          set enable_indexscan = off;
          set role authenticated;`);
        // Temp objects, where the role may create them (TEMP is revoked from the API roles where allowed).
        await t.savepoint((s) => s.unsafe(`create temp table molecules (id uuid, name text)`)).catch(() => {});
        await t`select pg_sleep(0.3)`;
        await t.unsafe(`set statement_timeout = 50; set lock_timeout = 1`);
      })));
  } finally {
    await attacker.end();
  }
}

Deno.test(
  "requests of every user on every path start from a known state after every server connection was poisoned",
  opts,
  async () => {
    const admin = adminSql();
    const users =
      await admin`select id::text, email from auth.users where email in ('alice@example.org', 'bob@example.org')`;
    const [{ n: publicMolecules }] =
      await admin`select count(*)::int as n from public.molecules where visibility = 'public'`;
    const betaRows = await admin`select id::text from public.teams where name = 'Beta'`;
    await admin.end();
    const alice = users.find((u) => u.email === "alice@example.org")!.id;
    const bob = users.find((u) => u.email === "bob@example.org")!.id;
    await poisonEveryServerConnection(alice);

    const db = new Database(loadConfig({
      CRYO_ENV: "local",
      CRYO_LOG_LEVEL: "error",
      CRYO_DB_URL: POOLER_URL,
      CRYO_DB_QUEUE_LIMIT: "1000",
      CRYO_DB_REQUEST_TIMEOUT_MS: "20000",
    }));
    const callers = [
      { claims: { role: "anon" }, uid: null },
      { claims: { role: "authenticated", sub: bob }, uid: bob },
      { claims: { role: "authenticated", sub: alice }, uid: alice },
    ];
    // A live service token's claims (the module asserts liveness in every cryo_service transaction).
    const svc = await liveServiceClaims(betaRows[0]?.id);
    callers.push({ claims: svc as never, uid: svc.sub as string });
    const when = new Date("2026-01-02T03:04:05.678Z");
    const probe = (tx: any) =>
      tx`select current_user as role, current_setting('request.jwt.claims', true)::jsonb ->> 'sub' as uid,
              current_setting('row_security') as row_security,
              current_setting('transaction_read_only') as read_only,
              current_setting('transaction_isolation') as isolation,
              current_setting('search_path') as search_path,
              current_setting('enable_indexscan') as indexscan,
              current_setting('statement_timeout') as statement_timeout,
              current_setting('request.jwt.claim.sub', true) as legacy_sub,
              current_setting('request.jwt.claim', true) as legacy_claim,
              ${when}::timestamptz as at, 0.1::float8 as tenth, '\\x0102'::bytea as bytes,
              (select count(*)::int from molecules where visibility = 'public') as public_molecules`;
    try {
      const calls = Array.from({ length: 240 }, (_, i) => {
        const who = callers[i % callers.length];
        const path = i % 3;
        const run = path === 2
          ? db.withClaims(who.claims, async (tx) => (await probe(tx))[0])
          : db.queryAs<any[]>(who.claims, probe, { extended: path === 1 }).then((r) => r[0]);
        return run.then((row) => ({ who, path, row }));
      });
      for (const { who, path, row } of await Promise.all(calls)) {
        const where = `${who.claims.role} ${who.uid ?? ""} on path ${path}`;
        assert.equal(row.role, who.claims.role, where);
        assert.equal(row.uid, who.uid, `${where}: identity comes from this request only`);
        assert.ok(
          !row.legacy_sub && !row.legacy_claim,
          `${where}: no legacy claim left (auth.uid() and auth.jwt() prefer them)`,
        );
        assert.equal(row.row_security, "on", where);
        assert.equal(row.read_only, "off", where);
        assert.equal(row.isolation, "read committed", where);
        assert.equal(row.search_path, "pg_catalog, public, extensions, pg_temp", where);
        assert.equal(row.indexscan, "on", where);
        assert.equal(row.statement_timeout, "3s", `${where}: our statement timeout, not the session's`);
        assert.equal(row.at.getTime(), when.getTime(), `${where}: timestamps parse as sent`);
        assert.equal(row.tenth, 0.1, `${where}: floats keep their digits`);
        assert.deepEqual([...row.bytes], [1, 2], `${where}: bytea in hex`);
        if (who.claims.role === "anon") {
          assert.equal(row.public_molecules, publicMolecules, `${where}: no temp table shadows public.molecules`);
        }
      }
    } finally {
      await db.end();
      // Leave the pooler as we found it for the suites that run after this one.
      await onEveryServerConnection("reset all; reset role; discard temp");
    }
  },
);
