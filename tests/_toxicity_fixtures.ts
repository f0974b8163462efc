// Toxicity fixtures of the read API's tests, written as the project owner (`postgres`) with fixed ids, so a
// re-run on a kept test stack finds the same rows (inserts are `on conflict do nothing`). What each caller
// may read of them:
//   PUB         public molecule "apitestol" (InChIKey, CAS, PubChem CID, a DTXSID): 5 public records, one
//               private record of Alpha (ALPHA-SECRET-*) and one of Beta (BETA-SECRET-*)
//   SECRET      Alpha's private molecule, one Alpha record: nobody outside Alpha may learn it exists
//   AMBIG_PUB   a public molecule whose InChIKey Alpha's private copy AMBIG_ALPHA shares: ambiguous to Alpha
import { adminSql } from "./_helpers.ts";
import { TEAMS } from "./_tokens.ts";

export const ALICE = "a11ce000-0000-4000-8000-000000000001"; // owner of Alpha
export const BOB = "b0b00000-0000-4000-8000-000000000002"; // editor of Beta
export const DAVE = "da7e0000-0000-4000-8000-000000000004"; // in no team

export const SOURCE = "a0a00000-0000-4000-8000-000000000001";
export const PUB = {
  id: "a0a00000-0000-4000-8000-000000000101",
  name: "apitestol",
  inchikey: "APITESTOLAAAAA-UHFFFAOYSA-N",
  cas: "99901-01-6",
  cid: 990101,
  dtxsid: "DTXSID9990101",
};
export const SECRET = {
  id: "a0a00000-0000-4000-8000-000000000102",
  name: "apitest alpha secret molecule",
  inchikey: "APITESTSECRETA-UHFFFAOYSA-N",
  cas: "99901-02-7",
};
export const AMBIG_PUB = {
  id: "a0a00000-0000-4000-8000-000000000103",
  name: "apitest ambiguous",
  inchikey: "APITESTAMBIGUS-UHFFFAOYSA-N",
  cas: "99901-03-8",
};
export const AMBIG_ALPHA = { id: "a0a00000-0000-4000-8000-000000000104", name: "apitest ambiguous (Alpha copy)" };

/** Every text only Alpha or Beta may read: none may appear in an answer to anyone else. */
export const ALPHA_SECRETS = ["ALPHA-SECRET", SECRET.id, SECRET.inchikey, SECRET.name, AMBIG_ALPHA.id, "alpha copy"];
export const BETA_SECRETS = ["BETA-SECRET"];

/** The public records of PUB: [id, value_type, qualifier, value, unit, species, route, endpoint]. */
export const PUBLIC_RECORDS = [
  ["a0a00000-0000-4000-8000-000000001001", "LD50", "=", 1500, "mg/kg", "rat", "oral", "acute_oral_toxicity"],
  ["a0a00000-0000-4000-8000-000000001002", "LD50", ">", 2000, "mg/kg", "mouse", "oral", "acute_oral_toxicity"],
  ["a0a00000-0000-4000-8000-000000001003", "GHS_category", "=", 4, "category", null, "oral", "acute_oral_toxicity"],
  ["a0a00000-0000-4000-8000-000000001004", "hit_call", "=", 1, "call", null, null, "cytotoxicity"],
  ["a0a00000-0000-4000-8000-000000001005", "AC50", "=", 12.5, "µM", null, null, "cytotoxicity"],
] as const;

let done: Promise<void> | undefined;

/** Writes the fixtures once per process (idempotent across runs) and refreshes the summary view. */
export function toxicityFixtures(): Promise<void> {
  done ??= (async () => {
    const sql = adminSql();
    try {
      await sql.begin(async (tx) => {
        await tx`insert into public.toxicity_sources (id, name, title, version, url, citation, licence)
                 values (${SOURCE}, 'apitest-source', 'API test source', '1', 'https://example.org/apitest',
                         'Apitest A. et al. (2026) Fixture data. J. Tests 1:1', 'CC0')
                 on conflict (id) do nothing`;
        const mol = (
          m: { id: string; name: string; inchikey: string; cas?: string },
          team: string | null,
          extra = {},
        ) =>
          tx`insert into public.molecules ${
            tx({
              id: m.id,
              name: m.name,
              smiles: "CCCCCCCCCCCCO",
              inchikey: m.inchikey,
              cas: m.cas ?? null,
              source: "api tests",
              team_id: team,
              visibility: team ? "team" : "public",
              ...extra,
            })
          } on conflict (id) do nothing`;
        await mol(PUB, null, { synonyms: ["ATX one"], pubchem_cid: PUB.cid });
        await mol(SECRET, TEAMS.Alpha);
        await mol(AMBIG_PUB, null);
        await mol({ ...AMBIG_ALPHA, inchikey: AMBIG_PUB.inchikey }, TEAMS.Alpha);
        await tx`insert into public.molecule_identifiers (molecule_id, kind, value, source)
                 values (${PUB.id}, 'dtxsid', ${PUB.dtxsid}, 'api tests') on conflict do nothing`;
        const rec = (
          id: string,
          molecule: string,
          [valueType, qualifier, value, unit, species, route, endpoint]: readonly unknown[],
          team: string | null,
          citation: string | null,
        ) =>
          tx`insert into public.toxicity_records
               (id, molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_qualifier, raw_value, raw_unit,
                qualifier, value, unit, conversion, species, route, citation, record_key, team_id, visibility)
             values (${id}, ${molecule}, 'exact', ${SOURCE},
                     (select e.id from public.toxicity_endpoints e where e.code = ${endpoint as string}),
                     ${valueType as string}, ${qualifier as string}, ${String(value)}, ${unit as string},
                     ${qualifier as string}, ${value as number}, ${unit as string}, 'as stated',
                     ${species as string | null}, ${route as string | null}, ${citation},
                     encode(sha256(convert_to(${id}, 'UTF8')), 'hex'), ${team}, ${team ? "team" : "public"})
             on conflict (id) do nothing`;
        for (const [id, ...r] of PUBLIC_RECORDS) await rec(id, PUB.id, r, null, null);
        const ld50 = (v: number, species: string) => ["LD50", "=", v, "mg/kg", species, "oral", "acute_oral_toxicity"];
        await rec(
          "a0a00000-0000-4000-8000-000000002001",
          PUB.id,
          ld50(42, "alpha-secret-species"),
          TEAMS.Alpha,
          "ALPHA-SECRET-CITATION",
        );
        await rec(
          "a0a00000-0000-4000-8000-000000002002",
          SECRET.id,
          ld50(5, "rat"),
          TEAMS.Alpha,
          "ALPHA-SECRET-CITATION",
        );
        await rec(
          "a0a00000-0000-4000-8000-000000003001",
          PUB.id,
          ld50(77, "beta-secret-species"),
          TEAMS.Beta,
          "BETA-SECRET-CITATION",
        );
      });
      await sql`select private.refresh_catalogue_view('toxicity_summary')`;
    } finally {
      await sql.end();
    }
  })();
  return done;
}

/**
 * Deletes every fixture row (the suites after this one count the seed's rows exactly): the molecules (their
 * records and identifiers go with them), then the source.
 */
export async function removeToxicityFixtures(): Promise<void> {
  const sql = adminSql();
  try {
    await sql`delete from public.molecules where id in ${sql([PUB.id, SECRET.id, AMBIG_PUB.id, AMBIG_ALPHA.id])}`;
    await sql`delete from public.toxicity_records where source_id = ${SOURCE}`;
    await sql`delete from public.toxicity_sources where id = ${SOURCE}`;
    await sql`select private.refresh_catalogue_view('toxicity_summary')`;
  } finally {
    await sql.end();
  }
  done = undefined;
}

/** Throws unless none of `secrets` occurs in `text` (case-insensitive). */
export function assertNoSecrets(text: string, secrets: string[], what: string) {
  const lower = text.toLowerCase();
  for (const s of secrets) {
    if (lower.includes(s.toLowerCase())) throw new Error(`${what}: "${s}" leaked in ${text.slice(0, 400)}…`);
  }
}
