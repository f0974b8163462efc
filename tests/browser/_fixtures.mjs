// Toxicity records for the browser suite, written as the project owner with fixed ids (`on conflict do
// nothing`: a kept test stack is written once): the seed has molecules but no toxicity records. Public oral
// LD50s of four seeded CPAs (the values of the seed's curated molecular properties, rat or dog) and one
// hit call of DMSO, so that a profile has records, a summary and a chart with DMSO among other CPAs; and one
// record of Alpha's private demo molecule ectoine, which only Alpha's members may see. removeFixtures() takes
// them out again after the suite (later suites count the seed exactly).
import assert from "node:assert/strict";
import { stackConfig } from "../../scripts/lib/config.mjs";
import { psql } from "../../scripts/lib/postgres.mjs";

export const MOLECULES = {
  dmso: "289cc0aa-6853-571e-9a1e-8dba64c14a1e",
  glycerol: "9b44e67f-39b2-5d3b-8132-7aa873111540",
  eg: "95c63edf-b8ef-56e9-8bcc-d3650c9c2b3d",
  pg: "1543d11f-4b0f-5229-9604-42a828b1cba7",
  ectoine: "45c9101b-6d70-543e-8acb-779acf4a0109", // Alpha's private demo molecule
};
export const ALPHA = "783103de-d80a-54d2-859c-4b2aea2e914f";
const SOURCE = "b0e50000-0000-4000-8000-000000000001";

// [id, molecule, value_type, qualifier, value, unit, species, route, endpoint, team]
const RECORDS = [
  ["b0e50000-0000-4000-8000-000000001001", MOLECULES.dmso, "LD50", "=", 14500, "mg/kg", "rat", "oral", "acute_oral_toxicity", null],
  ["b0e50000-0000-4000-8000-000000001002", MOLECULES.dmso, "hit_call", "=", 0, "call", null, null, "cytotoxicity", null],
  ["b0e50000-0000-4000-8000-000000001003", MOLECULES.glycerol, "LD50", "=", 27200, "mg/kg", "rat", "oral", "acute_oral_toxicity", null],
  ["b0e50000-0000-4000-8000-000000001004", MOLECULES.eg, "LD50", "=", 5840, "mg/kg", "rat", "oral", "acute_oral_toxicity", null],
  ["b0e50000-0000-4000-8000-000000001005", MOLECULES.pg, "LD50", "=", 21000, "mg/kg", "dog", "oral", "acute_oral_toxicity", null],
  ["b0e50000-0000-4000-8000-000000001006", MOLECULES.ectoine, "LD50", ">", 2000, "mg/kg", "rat", "oral", "acute_oral_toxicity", ALPHA],
];

const lit = (v) => (v === null ? "null" : typeof v === "number" ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

/** Writes the fixtures into the test stack (idempotent) and refreshes the summary view; throws if psql fails. */
export function writeFixtures(c = stackConfig("test")) {
  const rows = RECORDS.map(([id, mol, vt, q, v, unit, species, route, endpoint, team]) =>
    `(${lit(id)}, ${lit(mol)}, 'exact', ${lit(SOURCE)}, (select e.id from public.toxicity_endpoints e where e.code = ${lit(endpoint)}),
      ${lit(vt)}, ${lit(q)}, ${lit(String(v))}, ${lit(unit)}, ${lit(q)}, ${v}, ${lit(unit)}, 'as stated', ${lit(species)}, ${lit(route)},
      'browser test fixture: value of the seed''s curated properties', encode(sha256(convert_to(${lit(id)}, 'UTF8')), 'hex'),
      ${lit(team)}, ${team ? "'team'" : "'public'"})`
  );
  const sql = `
begin;
insert into public.toxicity_sources (id, name, title, version, url, citation, licence)
values (${lit(SOURCE)}, 'webtest-source', 'Browser test fixtures', '1', null, 'Values of the seed''s curated CPA facts (test fixture)', 'CC0')
on conflict (id) do nothing;
insert into public.toxicity_records
  (id, molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_qualifier, raw_value, raw_unit,
   qualifier, value, unit, conversion, species, route, citation, record_key, team_id, visibility)
values ${rows.join(",\n")}
on conflict (id) do nothing;
commit;
select private.refresh_catalogue_view('toxicity_summary');
`;
  const r = psql(c, sql, { user: "postgres" });
  assert.equal(r.status, 0, `writing the browser fixtures failed: ${r.stderr}`);
}

/** Deletes the fixtures (records, then their source) and refreshes the summary view; throws if psql fails. */
export function removeFixtures(c = stackConfig("test")) {
  const ids = RECORDS.map(([id]) => lit(id)).join(", ");
  const r = psql(
    c,
    `begin;
delete from public.toxicity_records where id in (${ids});
delete from public.toxicity_sources where id = ${lit(SOURCE)};
commit;
select private.refresh_catalogue_view('toxicity_summary');`,
    { user: "postgres" },
  );
  assert.equal(r.status, 0, `removing the browser fixtures failed: ${r.stderr}`);
}
