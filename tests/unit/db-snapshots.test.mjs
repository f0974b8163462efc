// The committed snapshots of the database (supabase/policies.sql, _shared/vocabulary.ts, supabase/vocabulary.json)
// must be what the migrations produce: generated from the running test stack and compared byte for byte.
// Skips, saying why, when no test stack is running (`npm test` always has one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import {
  GENERATE,
  generate,
  POLICIES_FILE,
  policiesSql,
  stale,
  VOCABULARY_FILE,
  VOCABULARY_JSON,
} from "../../scripts/db-snapshots.mjs";

const c = stackConfig("test");
let files = null;
let skip = false;
try {
  files = await generate(c);
} catch (e) {
  skip = `no test stack on port ${c.ports.db} (${
    e.code ?? e.message
  }): run npm test, or CRYO_STACK=test npm start with your CRYO_PORT_OFFSET`;
}

test("the committed policy and vocabulary snapshots are what the migrations produce", { skip }, () => {
  const bad = stale(files);
  assert.deepEqual(
    bad,
    [],
    `stale: ${bad.join(", ")}; run \`${GENERATE}\` (after \`npm run reset\`) and commit the result`,
  );
});

test("the policy snapshot holds one create policy statement per policy of the database", { skip }, async () => {
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ n }] =
      await sql`select count(*)::int as n from pg_catalog.pg_policies where schemaname in ('public', 'private')`;
    const text = readFileSync(join(ROOT, POLICIES_FILE), "utf8");
    assert.equal(text.match(/^create policy /gm)?.length ?? 0, n);
    assert.ok(n >= 90, "the access model's nine policies on every registered table");
  } finally {
    await sql.end();
  }
});

test("a policy changed in the database makes the snapshot stale (the check can fail)", { skip }, async () => {
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  const undo = new Error("undo");
  let changed;
  try {
    await sql.begin(async (tx) => {
      await tx`alter policy molecules_anon_select on public.molecules using (true)`;
      changed = await policiesSql(tx);
      throw undo;
    }).catch((e) => {
      if (e !== undo) throw e;
    });
  } finally {
    await sql.end();
  }
  assert.match(changed, /create policy molecules_anon_select on public\.molecules\n.*\n {2}using \(true\);/);
  assert.deepEqual(stale({ ...files, [POLICIES_FILE]: changed }), [POLICIES_FILE]);
});

test("the vocabulary module lists exactly the values each domain accepts", { skip }, async () => {
  const text = readFileSync(join(ROOT, VOCABULARY_FILE), "utf8");
  const lists = Object.fromEntries(
    [...text.matchAll(/^export const (\w+) = \[(.*)\] as const;$/gm)].map((m) => [m[1], JSON.parse(`[${m[2]}]`)]),
  );
  assert.deepEqual(Object.keys(lists).sort(), [
    "CONCENTRATION_UNITS",
    "CONFIDENCE_LABELS",
    "TEAM_ROLES",
    "TOXICITY_IMPORT_STATUSES",
    "TOXICITY_QUALIFIERS",
    "TOXICITY_VALUE_TYPES",
    "VISIBILITIES",
  ]);
  const json = JSON.parse(readFileSync(join(ROOT, VOCABULARY_JSON), "utf8"));
  assert.deepEqual([json.visibility, json.confidence_label, json.concentration_unit, json.team_role], [
    lists.VISIBILITIES,
    lists.CONFIDENCE_LABELS,
    lists.CONCENTRATION_UNITS,
    lists.TEAM_ROLES,
  ], "the JSON and the module list the same values");
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  try {
    for (
      const [name, domain] of [
        ["VISIBILITIES", "visibility"],
        ["CONFIDENCE_LABELS", "confidence_label"],
        [
          "CONCENTRATION_UNITS",
          "concentration_unit",
        ],
        ["TEAM_ROLES", "team_role"],
        ["TOXICITY_IMPORT_STATUSES", "toxicity_import_status"],
        [
          "TOXICITY_QUALIFIERS",
          "toxicity_qualifier",
        ],
        ["TOXICITY_VALUE_TYPES", "toxicity_value_type"],
      ]
    ) {
      for (const v of lists[name]) await sql.unsafe(`select $1::text::public.${domain}`, [v]);
      await assert.rejects(
        sql.unsafe(`select $1::text::public.${domain}`, ["not-a-value"]),
        /violates check constraint/,
      );
    }
  } finally {
    await sql.end();
  }
});
