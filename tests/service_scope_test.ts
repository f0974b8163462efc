// The scoped service path end to end, as an edge function would take it: log in to the transaction pooler
// as cryo_api, switch per transaction to cryo_service with the token's claims, and let RLS apply the scope.
import assert from "node:assert/strict";
import postgres from "postgres";
import { adminSql, POOLER_URL } from "./_helpers.ts";
import { liveServiceClaims } from "./_tokens.ts";

const run = crypto.randomUUID().slice(0, 8);
const key = (c: string) =>
  `${"SERVICESCOPE" + c.repeat(2)}-${run.toUpperCase().replace(/[^A-Z]/g, "Q").padEnd(10, "Q")}-N`;

async function asService(claims: Record<string, unknown>, body: (tx: postgres.TransactionSql) => Promise<unknown>) {
  const api = postgres(POOLER_URL, { max: 1, prepare: false, onnotice: () => {} });
  try {
    return await api.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ role: "cryo_service", ...claims })}, true)`;
      await tx`set local role cryo_service`;
      return await body(tx);
    });
  } finally {
    await api.end();
  }
}

/** Two teams with one private molecule each, tagged by `source`, for `body`; all removed afterwards. */
async function withTwoTeams(
  tag: string,
  source: string,
  keys: [string, string],
  body: (mine: string, other: string) => Promise<void>,
) {
  const admin = adminSql();
  const [mine, other] = [crypto.randomUUID(), crypto.randomUUID()];
  try {
    await admin`insert into public.teams (id, name)
      values (${mine}, ${`${tag}-mine-${run}`}), (${other}, ${`${tag}-other-${run}`})`;
    await admin`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility) values
      (${`${tag} mine ${run}`}, 'C', ${key(keys[0])}, ${source}, ${mine}, 'team'),
      (${`${tag} other ${run}`}, 'C', ${key(keys[1])}, ${source}, ${other}, 'team')`;
    await body(mine, other);
  } finally {
    await admin`delete from public.molecules where source = ${source} and name like ${"%" + run}`;
    await admin`delete from public.teams where id in (${mine}, ${other})`;
    await admin.end();
  }
}

Deno.test("a scoped service token reads and writes only what its scope and team allow, through the pooler", async () => {
  assert.ok(POOLER_URL, "POOLER_URL is set by the test runner");
  await withTwoTeams("svc", "service test", ["A", "B"], async (mine, other) => {
    const visible = async (claims: Record<string, unknown>) =>
      ((await asService(
        claims,
        (tx) =>
          tx`select name from public.molecules where source = 'service test' and name like ${"%" + run} order by name`,
      )) as {
        name: string;
      }[]).map((r) => r.name);

    assert.deepEqual(
      await visible({ scope: "molecules:read", team_id: mine }),
      [`svc mine ${run}`],
      "molecules:read sees its own team's private molecule, not another team's",
    );
    assert.deepEqual(
      await visible({ scope: "mixtures:read", team_id: mine }),
      [],
      "without the molecules scope nothing is visible",
    );
    assert.deepEqual(await visible({ team_id: mine }), [], "no scope claim at all: nothing is visible");

    const inserted = await asService(
      { scope: "molecules:write", team_id: mine },
      (tx) =>
        tx`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
         values (${"svc new " + run}, 'CC', ${key("C")}, 'service test', ${mine}, 'team') returning team_id`,
    );
    assert.equal((inserted as { team_id: string }[])[0].team_id, mine, "molecules:write inserts into its own team");

    await assert.rejects(
      asService(
        { scope: "molecules:write", team_id: mine },
        (tx) =>
          tx`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
           values (${"svc forged " + run}, 'CC', ${key("D")}, 'service test', ${other}, 'team')`,
      ),
      (e: { code?: string }) => e.code === "42501",
      "writing into another team is refused with 42501",
    );
    await assert.rejects(
      asService(
        { scope: "molecules:read", team_id: mine },
        (tx) =>
          tx`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
           values (${"svc readonly " + run}, 'CC', ${key("E")}, 'service test', ${mine}, 'team')`,
      ),
      (e: { code?: string }) => e.code === "42501",
      "a read scope cannot write",
    );

    // The role and claims were transaction-local: the pooled connection is back to cryo_api without claims.
    const api = postgres(POOLER_URL, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const [s] =
        await api`select current_user as role, coalesce(current_setting('request.jwt.claims', true), '') as claims`;
      assert.equal(s.role, "cryo_api");
      assert.equal(s.claims, "");
    } finally {
      await api.end();
    }
  });
});

Deno.test("the database module runs scoped service work as cryo_service under RLS, on both of its paths", async () => {
  // Same rule as above, but through supabase/functions/_shared/db.ts, the way edge functions will issue it.
  const { loadConfig } = await import("../supabase/functions/_shared/config.ts");
  const { Database, DbError } = await import("../supabase/functions/_shared/db.ts");
  const db = new Database(loadConfig({ CRYO_ENV: "local", CRYO_LOG_LEVEL: "error", CRYO_DB_URL: POOLER_URL }));
  try {
    await withTwoTeams("mod", "module test", ["F", "G"], async (mine, other) => {
      // The module asserts the token is live (tests/_tokens.ts): claims of a real client of `mine`.
      const live = await liveServiceClaims(mine);
      for (const extended of [false, true]) {
        const names = async (claims: Record<string, unknown>) =>
          (await db.queryAs<{ name: string }[]>(
            { ...live, ...claims },
            (tx) =>
              tx`select name from public.molecules where source = 'module test' and name like ${
                "%" + run
              } order by name`,
            { extended },
          )).map((r) => r.name);
        assert.deepEqual(
          await names({ scope: "molecules:read", team_id: mine }),
          [`mod mine ${run}`],
          `extended=${extended}: its own team's row only`,
        );
        assert.deepEqual(
          await names({ scope: "mixtures:read", team_id: mine }),
          [],
          `extended=${extended}: wrong scope sees nothing`,
        );
        const denied = await db.queryAs(
          { ...live, scope: "molecules:write", team_id: mine },
          (tx) =>
            tx`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
          values (${"mod forged " + run}, 'CC', ${key(extended ? "H" : "I")}, 'module test', ${other}, 'team')`,
          { extended },
        ).then(() => null, (e) => e);
        assert.ok(denied instanceof DbError, `extended=${extended}: a write into another team is refused`);
        assert.equal(denied.status, 403);
        assert.equal(denied.code, "FORBIDDEN");
      }
    });
  } finally {
    await db.end();
  }
});
