#!/usr/bin/env node
// Writes supabase/seed.sql from the checked-in data files:
//   npm run seed:generate          regenerate supabase/seed.sql
//   npm run seed:check             exit 1 if supabase/seed.sql differs from what the data files give
// The data files are parsed with their zod schemas (schema.mjs) and checked record by record (verify.mjs)
// before a line is written. Same input → same bytes: row ids are UUIDs derived from stable keys
// (name-based, version 5), rows are written in data-file order, and every computed number is rounded to
// fixed digits (scripts/chemistry/structure.mjs).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { v5 as uuidv5 } from "uuid";
import { DemoFile, ReferenceFile } from "./schema.mjs";
import { loadVerifiedDataset } from "./verify.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The data files and the generated output. */
export const PATHS = {
  reference: join(ROOT, "scripts/seed/cpas.json"),
  demo: join(ROOT, "scripts/seed/demo.json"),
  output: join(ROOT, "supabase/seed.sql"),
};

/** --- Deterministic ids --- */

// Name-based UUIDs (RFC 9562 version 5) under a namespace of our own, itself named under the URL namespace:
// a row's id is a function of its stable key, so regeneration never renumbers rows.
const SEED_NAMESPACE = uuidv5("https://cryoprotect.local/seed", uuidv5.URL);
const seedId = (key) => uuidv5(key, SEED_NAMESPACE);

/** --- SQL literals --- */

const DOLLAR_TAG = "$cryo_seed$";

/**
 * `s` as an SQL string literal for the seed's dollar-quoted block (null and undefined → `null`). Throws for a
 * NUL byte (Postgres text cannot hold one) or the block's own dollar-quote tag (it would end the block).
 */
export function sqlString(s) {
  if (s === null || s === undefined) return "null";
  const str = String(s);
  if (str.includes("\0")) throw new Error(`NUL byte in ${JSON.stringify(str)}`);
  if (str.includes(DOLLAR_TAG)) throw new Error(`value contains the seed's dollar-quote tag: ${JSON.stringify(str)}`);
  // standard_conforming_strings is on (the default since 9.1): only the quote needs doubling.
  return `'${str.replace(/'/g, "''")}'`;
}

function sqlNumber(n) {
  if (n === null || n === undefined) return "null";
  if (typeof n !== "number" || !Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const s = String(n);
  if (/e/i.test(s)) throw new Error(`number ${s} would print in exponent notation`);
  return s;
}

const sqlTextArray = (xs) => (xs?.length ? `array[${xs.map(sqlString).join(", ")}]::text[]` : "'{}'::text[]");
const sqlUuid = (u) => `'${u}'`;

function insert(table, columns, rows, conflict = "") {
  if (!rows.length) return "";
  const body = rows.map((r) => `    (${r.join(", ")})`).join(",\n");
  return `  insert into ${table} (${columns.join(", ")})\n  values\n${body}${conflict ? `\n  ${conflict}` : ""};\n`;
}

/** --- The seed --- */

function usersBlock(users) {
  const width = Math.max(...users.map((u) => u.email.length)) + 3;
  const rows = users.map((u) => `    ('${u.id}', 'authenticated', 'authenticated', ${`${sqlString(u.email)},`.padEnd(width)} now(), ` +
    `'{"provider":"email","providers":["email"]}', ${sqlString(JSON.stringify({ full_name: u.display_name }))})`);
  return [
    "  -- Demo users, as Supabase Auth would have created them (confirmed email sign-ups).",
    "  insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)",
    "  values",
    rows.join(",\n"),
    "  on conflict (id) do nothing;",
  ].join("\n");
}

/**
 * Builds the whole seed.sql text from the verified data sets: returns { sql, counts (rows the seed inserts,
 * by table name), summary (header lines) }. Throws SeedFileError (a file does not fit its schema) or
 * DatasetError (naming every rejected record).
 */
export async function generateSeedSql(paths = PATHS) {
  const ref = await loadVerifiedDataset(paths.reference, ReferenceFile);
  const demo = await loadVerifiedDataset(paths.demo, DemoFile, { reference: ref });

  const users = new Map(demo.users.map((u) => [u.key, u]));
  const teams = new Map(demo.teams.map((t) => [t.key, { ...t, id: seedId(`team:${t.key}`) }]));
  // By code, not by our id: a migration may already have created the vocabulary row (see the insert below).
  const typeRef = (code) => `(select id from public.property_types where code = ${sqlString(code)})`;
  const moleculeIds = new Map();
  const molKey = (m) => (m.team ? `molecule:team:${m.team}:${m.key}` : `molecule:public:${m.key}`);
  for (const m of [...ref.molecules, ...demo.molecules]) moleculeIds.set(m.key, seedId(molKey(m)));
  const usedIds = new Set();
  const id = (key) => {
    const u = seedId(key);
    if (usedIds.has(u)) throw new Error(`two seed rows share the stable key ${key}`);
    usedIds.add(u);
    return u;
  };
  const owner = (rec) => (rec.team
    ? { team: sqlUuid(teams.get(rec.team).id), visibility: "'team'", createdBy: sqlUuid(users.get(rec.created_by).id) }
    : { team: "null", visibility: "'public'", createdBy: "null" });

  const profiles = demo.users.map((u) => [sqlUuid(u.id), sqlString(u.display_name)]);
  const teamRows = [...teams.values()].map((t) => [sqlUuid(id(`team:${t.key}`)), sqlString(t.name)]);
  const memberRows = [...teams.values()].flatMap((t) => t.members.map((m) =>
    [sqlUuid(t.id), sqlUuid(users.get(m.user).id), sqlString(m.role)]));
  const typeRows = ref.propertyTypes.map((t) => [sqlUuid(id(`property_type:${t.code}`)), sqlString(t.code),
    sqlString(t.name), sqlString(t.canonical_unit), sqlString(t.value_kind), sqlString(t.description)]);

  const molRows = [];
  const identRows = [];
  const propRows = [];
  for (const m of [...ref.molecules, ...demo.molecules]) {
    const o = owner(m);
    const c = m.computed;
    const mid = id(molKey(m));
    molRows.push([sqlUuid(mid), sqlString(m.kind), sqlString(m.name), sqlTextArray(m.synonyms),
      sqlString(c?.canonical_smiles), sqlString(c?.inchi), sqlString(c?.inchikey), sqlString(c?.formula),
      sqlNumber(c?.molecular_weight), sqlNumber(c?.exact_mass), sqlNumber(c?.logp), sqlNumber(c?.tpsa),
      sqlNumber(c?.hbd), sqlNumber(c?.hba), sqlNumber(c?.rotatable_bonds),
      sqlNumber(m.pubchem_cid ?? null), sqlString(m.cas ?? null),
      sqlString(m.source), sqlString(m.citation ?? null), sqlString(m.confidence), o.team, o.visibility, o.createdBy]);
    if (m.cas) {
      identRows.push([sqlUuid(id(`${molKey(m)}:identifier:cas`)), sqlUuid(mid), "'cas'", sqlString(m.cas),
        sqlString(`CAS number from the curated CPA facts (record label ${m.confidence})`), o.team, o.visibility]);
    }
    if (m.pubchem_cid) {
      const checked = m.pubchem_cid_confidence === "V";
      identRows.push([sqlUuid(id(`${molKey(m)}:identifier:pubchem_cid`)), sqlUuid(mid), "'pubchem_cid'",
        sqlString(String(m.pubchem_cid)),
        sqlString(checked ? "PubChem CID, checked against PubChem (V)" : "PubChem CID, not yet checked against PubChem (U)"),
        o.team, o.visibility]);
    }
    for (const p of m.properties ?? []) {
      const pk = `${molKey(m)}:property:${p.type}:${p.species ?? ""}:${p.route ?? ""}`;
      propRows.push([sqlUuid(id(pk)), sqlUuid(mid), typeRef(p.type), sqlNumber(p.value), "null",
        sqlString(p.unit), sqlString(p.qualifier ?? "="), sqlNumber(p.temperature_c ?? null), sqlString(p.method ?? null),
        sqlString(p.species ?? null), sqlString(p.route ?? null), sqlString(p.source), sqlString(p.citation ?? null),
        sqlString(p.confidence), o.team, o.visibility]);
    }
  }

  const mixRows = [];
  const compRows = [];
  for (const x of [...ref.mixtures, ...demo.mixtures]) {
    const o = owner(x);
    const xk = x.team ? `mixture:team:${x.team}:${x.key}` : `mixture:public:${x.key}`;
    const xid = id(xk);
    const total = x.totals?.[0];
    mixRows.push([sqlUuid(xid), sqlString(x.name), sqlString(x.description ?? null), sqlNumber(total?.value ?? null),
      sqlString(total?.unit ?? null), sqlString(x.source), sqlString(x.citation ?? null), sqlString(x.confidence),
      o.team, o.visibility, o.createdBy]);
    for (const c of x.components) {
      compRows.push([sqlUuid(id(`${xk}:component:${c.molecule}`)), sqlUuid(xid), sqlUuid(moleculeIds.get(c.molecule)),
        sqlNumber(c.concentration), sqlString(c.unit), sqlString(c.role), o.team, o.visibility]);
    }
  }

  // Curated toxicity values: public rows of the source "literature", about the reference molecules.
  const tox = ref.toxicity;
  const toxSource = ref.toxicitySource;
  const toxSourceRows = toxSource
    ? [[sqlUuid(id(`toxicity_source:${toxSource.name}`)), sqlString(toxSource.name), sqlString(toxSource.title),
      sqlString(toxSource.version), sqlString(toxSource.url), sqlString(toxSource.citation), sqlString(toxSource.licence),
      sqlString(toxSource.description)]]
    : [];
  const endpointRows = ref.toxicityEndpoints.map((e) => [sqlUuid(id(`toxicity_endpoint:${e.code}`)), sqlString(e.code),
    sqlString(e.name), sqlString(e.description)]);
  const toxRows = tox.map((t) => [sqlUuid(id(`toxicity_record:public:${t.key}`)), sqlUuid(moleculeIds.get(t.molecule)), "'exact'",
    `(select id from public.toxicity_sources where name = ${sqlString(toxSource.name)})`, sqlString(t.key),
    `(select id from public.toxicity_endpoints where code = ${sqlString(t.endpoint)})`, sqlString(t.value_type),
    sqlString(t.raw_qualifier), sqlString(t.raw_value), sqlString(t.raw_unit), sqlString(t.qualifier), sqlNumber(t.value),
    sqlString(t.unit), sqlString(t.conversion), sqlString(t.species ?? null), sqlString(t.route ?? null),
    sqlString(t.duration ?? null), sqlString(t.sex ?? null), sqlString(t.citation ?? null), sqlString(t.record_key),
    sqlString(t.confidence), "null", "'public'"]);

  const labels = (recs) => ["V", "V2", "C", "U"].map((l) => `${l} ${recs.filter((r) => r.confidence === l).length}`).join(", ");
  const allProps = [...ref.molecules, ...demo.molecules].flatMap((m) => m.properties ?? []);
  const summary = [
    `public molecules ${ref.molecules.length} (${labels(ref.molecules)}), team molecules ${demo.molecules.length}`,
    `public mixtures ${ref.mixtures.length} (${labels(ref.mixtures)}), team mixtures ${demo.mixtures.length}`,
    `molecular properties ${allProps.length} (${labels(allProps)}), property types ${ref.propertyTypes.length}, identifiers ${identRows.length}`,
    `toxicity records ${tox.length} (${labels(tox)}) of source ${toxSource?.name ?? "(none)"}`,
  ];

  const lines = [
    "-- GENERATED FILE: do not edit. Generated by scripts/seed/generate.mjs from scripts/seed/cpas.json (public",
    "-- reference data, with citations and confidence labels) and scripts/seed/demo.json (local demo data).",
    "-- Regenerate: npm run seed:generate      Check that it is current: npm run seed:check",
    "-- Labels: V read in the cited source; V2 read in a secondary source; C computed from verified inputs;",
    "-- U unverified (recalled, not yet checked): seed data only. Identifiers and descriptors computed by RDKit.",
    ...summary.map((s) => `-- ${s}`),
    "-- Local demo data. Never applied to hosted projects by `db push` (only with --include-seed).",
    "-- One statement, so that every client (psql with or without -1, the Supabase CLI, an SQL editor) loads",
    "-- all of it or nothing. It needs the schema of supabase/migrations: a missing table fails it, naming the table.",
    `do ${DOLLAR_TAG}`,
    "begin",
    usersBlock(demo.users),
    "",
    "  -- Profiles may already exist if a trigger on auth.users creates them.",
    insert("public.profiles", ["id", "display_name"], profiles,
      "on conflict (id) do update set display_name = excluded.display_name"),
    insert("public.teams", ["id", "name"], teamRows),
    insert("public.team_members", ["team_id", "user_id", "role"], memberRows,
      "on conflict (team_id, user_id) do update set role = excluded.role"),
    "  -- Reference vocabulary; a row a migration already created under the same code is kept as it is.",
    insert("public.property_types", ["id", "code", "name", "canonical_unit", "value_kind", "description"], typeRows,
      "on conflict (code) do nothing"),
    "  -- Molecules: public reference CPAs (team_id null), then each team's private demo molecules.",
    insert("public.molecules", ["id", "kind", "name", "synonyms", "smiles", "inchi", "inchikey", "formula",
      "molecular_weight", "exact_mass", "logp", "tpsa", "hbd", "hba", "rotatable_bonds", "pubchem_cid", "cas",
      "source", "citation", "confidence", "team_id", "visibility", "created_by"], molRows),
    insert("public.molecule_identifiers", ["id", "molecule_id", "kind", "value", "source", "team_id", "visibility"], identRows),
    "  -- Measured values, with the unit, qualifier, species and route as the source states them.",
    insert("public.molecular_properties", ["id", "molecule_id", "property_type_id", "numeric_value", "text_value", "unit",
      "qualifier", "temperature_c", "method", "species", "route", "source", "citation", "confidence", "team_id",
      "visibility"], propRows),
    "  -- Mixtures: the first stated total is stored; concentrations keep their published units.",
    insert("public.mixtures", ["id", "name", "description", "total_concentration", "total_unit", "source", "citation",
      "confidence", "team_id", "visibility", "created_by"], mixRows),
    insert("public.mixture_components", ["id", "mixture_id", "molecule_id", "concentration", "unit", "role", "team_id",
      "visibility"], compRows),
    "  -- Curated toxicity values (source literature): raw as written, normalized to mg/kg; a source or endpoint",
    "  -- row a migration or an import already created under the same name is kept as it is.",
    insert("public.toxicity_sources", ["id", "name", "title", "version", "url", "citation", "licence", "description"],
      toxSourceRows, "on conflict (name) do nothing"),
    insert("public.toxicity_endpoints", ["id", "code", "name", "description"], endpointRows, "on conflict (code) do nothing"),
    insert("public.toxicity_records", ["id", "molecule_id", "molecule_match", "source_id", "source_record_id", "endpoint_id",
      "value_type", "raw_qualifier", "raw_value", "raw_unit", "qualifier", "value", "unit", "conversion", "species", "route",
      "duration", "sex", "citation", "record_key", "confidence", "team_id", "visibility"], toxRows),
    "",
    "  -- Fill the catalogue views now instead of at their next scheduled refresh.",
    "  perform private.refresh_catalogue_view(l.view_name)",
    "  from private.matview_refresh_log l order by l.view_name;",
    "end",
    `${DOLLAR_TAG};`,
    "",
  ];
  const sql = lines.join("\n");
  return {
    sql,
    counts: {
      "auth.users": demo.users.length, "public.profiles": profiles.length, "public.teams": teamRows.length,
      "public.team_members": memberRows.length, "public.property_types": typeRows.length,
      "public.molecules": molRows.length, "public.molecule_identifiers": identRows.length,
      "public.molecular_properties": propRows.length, "public.mixtures": mixRows.length,
      "public.mixture_components": compRows.length, "public.toxicity_records": toxRows.length,
    },
    summary,
  };
}

/** --- CLI --- */

/** True when the file at `path` is missing or its bytes differ from `sql`. */
export function isStale(sql, path = PATHS.output) {
  return !existsSync(path) || readFileSync(path, "utf8") !== sql;
}

async function main() {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  const { sql, summary } = await generateSeedSql();
  const out = PATHS.output.slice(ROOT.length + 1);
  if (values.check) {
    if (isStale(sql)) {
      console.error(`stale: ${out} differs from what scripts/seed/*.json give; run npm run seed:generate`);
      process.exit(1);
    }
    console.log(`up to date: ${out}`);
    return;
  }
  writeFileSync(PATHS.output, sql);
  console.log(`wrote ${out}\n${summary.join("\n")}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    // A bad data file or option is the user's to fix and its message says where; anything else is a bug.
    if (["DatasetError", "SeedFileError"].includes(e.name)) console.error(`seed data rejected: ${e.message}`);
    else if (e.code?.startsWith("ERR_PARSE_ARGS")) console.error(`${e.message}\nusage: generate.mjs [--check]`);
    else console.error(e.stack);
    process.exit(1);
  });
}
