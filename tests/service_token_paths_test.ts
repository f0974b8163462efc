// Positive paths of service tokens, the way a function runs them: a token from the endpoint, verified by
// _shared/auth.ts, its claims set by the database module on a pooled transaction as cryo_service. Each
// scope grants its resource for its own team only: a client of Alpha never touches Beta's rows.
import assert from "node:assert/strict";
import { adminSql, FUNCTIONS_URL, POOLER_URL } from "./_helpers.ts";
import { createClient, getToken, TEAMS } from "./_tokens.ts";
import { authConfig, type Principal, Verifier } from "../supabase/functions/_shared/auth.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";

const API = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
const keysFile = new URL("../.local/keys/service_signing_keys.json", import.meta.url);
const verifier = new Verifier(
  authConfig({ SUPABASE_URL: API }),
  async () =>
    (await import("../supabase/functions/_shared/signing-keys.ts")).parseKeyRing(await Deno.readTextFile(keysFile)),
);
const run = crypto.randomUUID().slice(0, 8);

async function principal(team: keyof typeof TEAMS, scopes: string): Promise<Principal & { client_id: string }> {
  const c = await createClient(team, scopes);
  const p = await verifier.verify(await getToken(c));
  assert.equal(p.kind, "service");
  return { ...p, client_id: c.client_id };
}

async function withDb(body: (db: Database) => Promise<void>) {
  const db = new Database(loadConfig({ CRYO_DB_URL: POOLER_URL, CRYO_ENV: "local", CRYO_LOG_LEVEL: "error" }));
  try {
    await body(db);
  } finally {
    await db.end();
  }
}

const TABLES: Record<string, string[]> = {
  teams: ["teams", "team_members", "team_invitations"],
  profiles: ["profiles"],
  molecules: ["molecules", "molecule_identifiers"],
  mixtures: ["mixtures", "mixture_components"],
  properties: ["property_types", "molecular_properties"],
};
const TEAM_DATA = new Set([
  "molecules",
  "molecule_identifiers",
  "mixtures",
  "mixture_components",
  "molecular_properties",
]);

Deno.test("each <resource>:read scope reads its tables and never a row of another team", async () => {
  await withDb(async (db) => {
    for (const [resource, tables] of Object.entries(TABLES)) {
      const p = await principal("Alpha", `${resource}:read`);
      for (const t of tables) {
        const [{ n, foreign }] = await db.queryAs<{ n: number; foreign: number }[]>(
          p.claims,
          (tx) =>
            tx.unsafe(
              `select count(*)::int as n, count(*) filter (where ${
                TEAM_DATA.has(t) ? "team_id" : "null::uuid"
              } = '${TEAMS.Beta}')::int as foreign from public.${t}`,
            ) as never,
          { readOnly: true },
        );
        assert.equal(typeof n, "number", `${resource}: ${t} readable`);
        assert.equal(foreign, 0, `${resource}: no Beta rows in ${t}`);
      }
    }
  });
});

Deno.test("molecules:write writes its own team's rows (audited with the client, jti and request id), never Beta's", async () => {
  const admin = adminSql();
  const betaId = crypto.randomUUID();
  const key = (c: string) =>
    `TOKENPATHS${c}${c}${c}${c}-${run.toUpperCase().replace(/[^A-Z]/g, "Q").padEnd(10, "Q")}-N`;
  await admin`insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility)
    values (${betaId}, ${"beta private " + run}, 'C', ${key("B")}, 'test', ${TEAMS.Beta}, 'team')`;
  try {
    await withDb(async (db) => {
      const p = await principal("Alpha", "molecules:write");
      const [row] = await db.queryAs<{ id: string }[]>(
        p.claims,
        (tx) =>
          tx`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
             values (${"alpha by token " + run}, 'C', ${key("A")}, 'test', ${TEAMS.Alpha}, 'team') returning id`,
        { requestId: `paths-${run}` },
      );
      const [ev] = await admin`select actor_role, client_id, jti, request_id, scopes from audit.events
        where event_type = 'row_change' and table_name = 'public.molecules' and row_pk ->> 'id' = ${row.id}`;
      assert.equal(ev.actor_role, "cryo_service");
      assert.equal(ev.client_id, p.client_id);
      assert.equal(ev.jti, p.claims.jti);
      assert.equal(ev.request_id, `paths-${run}`);
      await assert.rejects(
        db.queryAs(
          p.claims,
          (tx) =>
            tx`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
             values (${"into beta " + run}, 'C', ${key("C")}, 'test', ${TEAMS.Beta}, 'team')`,
        ),
        (e: { status: number }) => e.status === 403,
        "no row for another team",
      );
      const touched = await db.queryAs<unknown[]>(
        p.claims,
        (tx) => tx`update public.molecules set name = 'hijacked' where id = ${betaId} returning id`,
      );
      assert.equal(touched.length, 0, "Beta's row is not visible to update");
      const seen = await db.queryAs<unknown[]>(
        p.claims,
        (tx) => tx`select id from public.molecules where id = ${betaId}`,
      );
      assert.equal(seen.length, 0, "nor to read");
      // A token of Alpha without any molecules scope sees none of Alpha's team rows either.
      const none = await principal("Alpha", "metrics:read");
      const hidden = await db.queryAs<unknown[]>(
        none.claims,
        (tx) => tx`select id from public.molecules where id = ${row.id}`,
      );
      assert.equal(hidden.length, 0);
      await admin`delete from public.molecules where id = ${row.id}`;
    });
  } finally {
    await admin`delete from public.molecules where id = ${betaId}`;
    await admin.end();
  }
});

Deno.test("audit:read pages its own team's events only; a revoked token's transaction is refused with 401", async () => {
  await withDb(async (db) => {
    const p = await principal("Alpha", "audit:read");
    const mine = await db.queryAs<unknown[]>(
      p.claims,
      (tx) => tx`select id from private.team_audit_events(${TEAMS.Alpha}::uuid, null, 5)`,
    );
    assert.ok(mine.length > 0, "Alpha's events");
    const theirs = await db.queryAs<unknown[]>(
      p.claims,
      (tx) => tx`select id from private.team_audit_events(${TEAMS.Beta}::uuid, null, 5)`,
    );
    assert.equal(theirs.length, 0, "no Beta events");
    const admin = adminSql();
    await admin`select private.disable_service_client(${p.client_id})`;
    await admin.end();
    await assert.rejects(
      db.queryAs(p.claims, (tx) => tx`select 1`, { readOnly: true }),
      (e: { status: number; code: string; headers: Record<string, string> }) =>
        e.status === 401 && e.code === "invalid_token" && /invalid_token/.test(e.headers["WWW-Authenticate"]),
    );
  });
});
