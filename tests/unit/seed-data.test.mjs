// The seed data: its file schemas (scripts/seed/schema.mjs), the structure computations
// (scripts/chemistry/), the record checks (scripts/seed/verify.mjs) and the generator
// (scripts/seed/generate.mjs). No database: tests/unit/seed-load.test.mjs loads the result.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/config.mjs";
import { casValid } from "../../supabase/functions/_shared/identifiers.mjs";
import { computeStructure, rdkit } from "../../scripts/chemistry/structure.mjs";
import {
  DemoFile,
  KnownBadFile,
  Mixture,
  Molecule,
  readSeedFile,
  ReferenceFile,
  SeedFileError,
  TeamMixture,
  TeamMolecule,
} from "../../scripts/seed/schema.mjs";
import { checkDataset, DatasetError, loadVerifiedDataset } from "../../scripts/seed/verify.mjs";
import { generateSeedSql, isStale, PATHS, sqlString } from "../../scripts/seed/generate.mjs";
import { canonicalJson, normalizeToxicity, recordKey } from "../../scripts/seed/toxicity.mjs";
import { createHash } from "node:crypto";

const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));
const KNOWN_BAD = join(ROOT, "scripts/seed/known-bad.json");
const reference = await loadVerifiedDataset(PATHS.reference, ReferenceFile);
const byKey = new Map(reference.molecules.map((m) => [m.key, m]));

/** Parses records with their schema and checks them against the verified reference data, as a new import would be. */
async function check({ molecules = [], mixtures = [] }) {
  return checkDataset({
    molecules: molecules.map((m) => (m.team ? TeamMolecule : Molecule).parse(m)),
    mixtures: mixtures.map((m) => (m.team ? TeamMixture : Mixture).parse(m)),
  }, { reference });
}
const mol = (over) => ({ key: "x", name: "x", smiles: "CCCCCO", source: "test", confidence: "U", ...over });
const mix = (over) => ({ key: "m", name: "test mixture", source: "test", confidence: "U", totals: [], ...over });

/** --- The data set itself --- */

test("every record of the reference data file passes the checks", async () => {
  const r = await checkDataset(ReferenceFile.parse(readJson(PATHS.reference)));
  assert.deepEqual(r.rejections.map((x) => x.message), [], "no rejections");
  assert.equal(r.molecules.length, readJson(PATHS.reference).molecules.length, "every molecule accepted");
  assert.equal(r.mixtures.length, readJson(PATHS.reference).mixtures.length, "every mixture accepted");
});

test("every record of the demo data file passes the checks against the reference data", async () => {
  const demo = DemoFile.parse(readJson(PATHS.demo));
  const r = await checkDataset(demo, { reference });
  assert.deepEqual(r.rejections.map((x) => x.message), []);
  assert.equal(r.molecules.length, demo.molecules.length);
  assert.ok(
    demo.molecules.every((m) => m.team && /demo/.test(m.name) && /demo/.test(m.source)),
    "every private molecule says it is demo data",
  );
  assert.ok(
    demo.mixtures.every((m) => m.team && /demo/.test(m.name) && /demo/.test(m.source)),
    "every private mixture says it is demo data",
  );
});

test("the reference data has at least 20 CPAs, the three M22 polymers and the named solutions", () => {
  assert.ok(reference.molecules.length >= 20, `${reference.molecules.length} molecules`);
  for (const k of ["pvp_k12", "x1000", "z1000"]) assert.equal(byKey.get(k)?.kind, "polymer", `${k} is a polymer`);
  const names = reference.mixtures.map((m) => m.name);
  for (
    const n of ["VS55", "VS83", "DP6", "M22", "VS11", "VS14", "Warner 2022 optimum", "clinical vitrification medium"]
  ) {
    assert.ok(names.includes(n), `${n} is seeded`);
  }
  for (const r of [...reference.molecules, ...reference.mixtures]) {
    assert.ok(["V", "V2", "C", "U"].includes(r.confidence), `${r.key} has a confidence label`);
    assert.ok(r.source, `${r.key} has a source`);
  }
});

test("unverified (U) facts stay labelled U", () => {
  // The curated facts give these without a checked source; promoting them would misstate their status.
  for (const k of ["methanol", "n_methylformamide", "urea", "diethylene_glycol", "ethanol", "sucrose", "trehalose"]) {
    const m = byKey.get(k);
    assert.equal(m.confidence, "U", `${k} is U`);
    for (const p of m.properties) assert.equal(p.confidence, "U", `${k} ${p.type} is U`);
  }
  assert.equal(reference.mixtures.find((m) => m.name === "M22").confidence, "U", "M22 percentages are U");
});

test("computed identifiers agree with independent facts", async () => {
  const R = await rdkit();
  assert.equal(byKey.get("ethanol").computed.inchikey, "LFQSCWFLJHTTHZ-UHFFFAOYSA-N", "ethanol's InChIKey");
  assert.equal(byKey.get("dmso").computed.formula, "C2H6OS", "DMSO's formula");
  assert.equal(
    byKey.get("ethylene_glycol").computed.inchikey,
    "LYCAIKOWRPUZTN-UHFFFAOYSA-N",
    "ethylene glycol's InChIKey",
  );
  const hx = computeStructure(R, "CC1=NCC(O)C(N1)C(=O)O");
  assert.equal(hx.formula, "C6H10N2O3", "hydroxyectoine is C6H10N2O3");
  assert.ok(Math.abs(hx.molecular_weight - 158.16) < 0.01, `hydroxyectoine MW ${hx.molecular_weight} ≈ 158.16`);
  // The InChI formula layer is in Hill order: carbon, hydrogen, then alphabetical; alphabetical without carbon.
  assert.equal(byKey.get("urea").computed.formula, "CH4N2O");
  assert.equal(computeStructure(R, "O").formula, "H2O");
  assert.equal(computeStructure(R, "[Na+].[Cl-]").formula, "ClH.Na", "components joined by a dot");
  // For a charged structure InChI gives the neutral parent's formula; the charge is reported beside it.
  const acetate = computeStructure(R, "CC(=O)[O-]");
  assert.deepEqual([acetate.formula, acetate.charge], ["C2H4O2", -1]);
  assert.equal(computeStructure(R, "C1CC"), null, "an unparsable SMILES gives no structure");
});

test("sucrose and trehalose are stored with their stereo (isomeric SMILES, stereo InChIKey layer)", () => {
  for (const k of ["sucrose", "trehalose"]) {
    const c = byKey.get(k).computed;
    assert.equal(c.unspecified_stereo_centers, 0, `${k}: every stereocentre specified`);
    assert.ok(c.stereo_centers >= 9, `${k}: ${c.stereo_centers} stereocentres`);
    assert.notEqual(c.inchikey.split("-")[1], "UHFFFAOYSA", `${k}: the InChIKey has a stereo layer`);
    assert.equal(c.formula, "C12H22O11");
  }
  assert.notEqual(
    byKey.get("sucrose").computed.inchikey,
    byKey.get("trehalose").computed.inchikey,
    "two different isomers",
  );
});

test("stated totals agree with the components (M22 sums to 64.8 % w/v; VS55 ≈ 55 % w/v via molecular weights)", () => {
  const m22 = reference.mixtures.find((m) => m.name === "M22");
  const sum = m22.components.reduce((a, c) => a + c.concentration, 0);
  assert.ok(Math.abs(sum - 64.8) < 1e-9, `M22 components sum to ${sum}`);
  const vs55 = reference.mixtures.find((m) => m.name === "VS55");
  const wv = vs55.components.reduce(
    (a, c) => a + (c.concentration * byKey.get(c.molecule).computed.molecular_weight) / 10,
    0,
  );
  assert.ok(Math.abs(wv - 55) < 1, `VS55 is ${wv.toFixed(2)} % w/v`);
});

/** --- Known-bad records --- */

test("every known-bad record is rejected, for the reason it is known to be wrong", async () => {
  const bad = readSeedFile(KNOWN_BAD, KnownBadFile);
  const r = await checkDataset(bad, { reference });
  assert.equal(r.molecules.length, 0, "no known-bad molecule accepted");
  assert.equal(r.mixtures.length, 0, "no known-bad mixture accepted");
  for (const rec of [...bad.molecules, ...bad.mixtures]) {
    const mine = r.rejections.filter((x) => x.record === rec.key);
    for (const want of rec.expect_rejection) {
      const hit = mine.find((x) => x.field === want.field && (!want.rule || x.rule === want.rule));
      assert.ok(
        hit,
        `${rec.key} rejected on ${want.field}${want.rule ? ` (${want.rule})` : ""}; got ${
          JSON.stringify(mine.map((x) => x.message))
        }`,
      );
      assert.match(hit.message, new RegExp(`${rec.key} \\(`), "the message names the record");
    }
  }
});

test("PVA with ethylene glycol's structure: rejected on its molecular weight, naming given and computed", async () => {
  const r = await check({
    molecules: [
      mol({
        key: "pva",
        name: "polyvinyl alcohol",
        smiles: "C(CO)O",
        inchikey: "LYCAIKOWRPUZTN-UHFFFAOYSA-N",
        molecular_weight: 89000,
      }),
    ],
  });
  const mw = r.rejections.find((x) => x.field === "molecular_weight");
  assert.equal(mw.given, 89000);
  assert.equal(mw.computed, byKey.get("ethylene_glycol").computed.molecular_weight);
  assert.match(mw.message, /pva \(polyvinyl alcohol\): molecular_weight: .*given 89000, computed 62\.0/);
  assert.ok(
    r.rejections.some((x) => x.rule === "duplicate_structure" && /ethylene_glycol/.test(x.message)),
    "flagged as ethylene glycol's structure",
  );
});

test("hydroxyectoine given C7H11NO4 / 173.17: rejected on formula and molecular weight", async () => {
  const r = await check({
    molecules: [
      mol({
        key: "hx",
        name: "hydroxyectoine",
        smiles: "CC1=NCC(O)C(N1)C(=O)O",
        stereo: "unspecified",
        formula: "C7H11NO4",
        molecular_weight: 173.17,
      }),
    ],
  });
  const f = r.rejections.find((x) => x.field === "formula");
  assert.deepEqual([f.given, f.computed], ["C7H11NO4", "C6H10N2O3"]);
  assert.match(f.message, /hx \(hydroxyectoine\): formula: .*given "C7H11NO4", computed "C6H10N2O3"/);
  assert.ok(r.rejections.some((x) => x.field === "molecular_weight" && x.given === 173.17));
});

test("the circulating VS55 (8.4 + 1.4 + 2.2 M stated as 8.4 M) is rejected: its components sum to 12 M", async () => {
  const r = await check({
    mixtures: [
      mix({
        key: "bad_vs55",
        name: "VS55 copy",
        totals: [{ value: 8.4, unit: "M", qualifier: "=" }],
        components: [
          { molecule: "dmso", concentration: 8.4, unit: "M", role: "penetrating" },
          { molecule: "formamide", concentration: 1.4, unit: "M", role: "penetrating" },
          { molecule: "propylene_glycol", concentration: 2.2, unit: "M", role: "penetrating" },
        ],
      }),
    ],
  });
  const s = r.rejections.find((x) => x.rule === "sum_mismatch");
  assert.ok(s, "rejected on the sum");
  assert.equal(s.given, 8.4);
  assert.ok(Math.abs(s.computed - 12) < 1e-9, `computed ${s.computed}`);
});

test("the circulating M22 (VS83's DMSO/formamide molarities) is rejected against the cited M22, and against 64.8 % w/v", async () => {
  const components = [
    { molecule: "dmso", concentration: 4.65, unit: "M", role: "penetrating" },
    { molecule: "formamide", concentration: 4.65, unit: "M", role: "penetrating" },
    { molecule: "ethylene_glycol", concentration: 3.1, unit: "M", role: "penetrating" },
  ];
  const named = await check({ mixtures: [mix({ key: "m22_copy", name: "M22", components })] });
  const conflict = named.rejections.find((x) => x.rule === "reference_conflict");
  assert.match(conflict.message, /Fahy GM et al\. Cryobiology 2004;48:157/, "cites the reference it contradicts");
  assert.match(conflict.message, /n_methylformamide .* missing/);
  // With M22's stated total the molarities convert (× molecular weight) to far more than 64.8 % w/v.
  const withTotal = await check({
    mixtures: [
      mix({ key: "m22_total", name: "unnamed", totals: [{ value: 64.8, unit: "% w/v", qualifier: "=" }], components }),
    ],
  });
  const s = withTotal.rejections.find((x) => x.rule === "sum_mismatch");
  assert.ok(s, "rejected on the mass total");
  const expected = components.reduce(
    (a, c) => a + (c.concentration * byKey.get(c.molecule).computed.molecular_weight) / 10,
    0,
  );
  assert.ok(Math.abs(s.computed - expected) < 1e-3 && s.computed > 70, `computed ${s.computed} % w/v`);
});

/** --- Other rules --- */

test("a mixture naming an unknown molecule is rejected", async () => {
  const r = await check({
    mixtures: [mix({ components: [{ molecule: "unobtainium", concentration: 1, unit: "M", role: "penetrating" }] })],
  });
  assert.equal(r.rejections[0].rule, "unknown_molecule");
  assert.match(r.rejections[0].message, /unobtainium/);
});

test("% v/v and % w/v components may not sum past 100 %", async () => {
  const over = await check({
    mixtures: [mix({
      components: [
        { molecule: "dmso", concentration: 60, unit: "% v/v", role: "penetrating" },
        { molecule: "ethylene_glycol", concentration: 45, unit: "% v/v", role: "penetrating" },
      ],
    })],
  });
  assert.deepEqual(over.rejections.map((x) => x.rule), ["exceeds_100"]);
});

test("totals in units that need densities (mol/kg against M) are not compared, mixed units are allowed", async () => {
  const r = await check({
    mixtures: [mix({
      totals: [{ value: 99, unit: "M" }],
      components: [
        { molecule: "dmso", concentration: 1, unit: "mol/kg", role: "penetrating" },
      ],
    })],
  });
  assert.deepEqual(r.rejections, []);
});

/** --- Curated toxicity values (source "literature") --- */

test("the curated LD50s of the CPA facts are public literature records, raw as written and normalized to mg/kg", () => {
  const t = new Map(reference.toxicity.map((r) => [r.key, r]));
  assert.equal(reference.toxicitySource.name, "literature");
  assert.equal(t.size, 16, "16 values: every oral LD50 of the facts, and DMSO's mouse intravenous LD50");
  const dmso = t.get("dmso_ld50_rat_oral");
  assert.deepEqual([dmso.raw_qualifier, dmso.raw_value, dmso.raw_unit, dmso.qualifier, dmso.value, dmso.unit, dmso.species, dmso.route],
    [null, "14,500", "mg/kg", "=", 14500, "mg/kg", "rat", "oral"]);
  const pd13 = t.get("propanediol_13_ld50_rat_oral");
  assert.deepEqual([pd13.raw_qualifier, pd13.qualifier, pd13.value], [">", ">", 2000], "a bound keeps its qualifier");
  const nmf = t.get("n_methylformamide_ld50_rat_oral");
  assert.deepEqual([nmf.raw_qualifier, nmf.qualifier], ["≈", "~"], "≈ as written, ~ normalized");
  assert.equal(t.get("glycerol_ld50_rat_oral").sex, "female");
  assert.equal(t.get("glycerol_ld50_rat_oral").confidence, "V2");
  for (const k of ["methanol", "n_methylformamide", "urea", "diethylene_glycol", "ethanol", "sucrose"]) {
    assert.equal(t.get(`${k}_ld50_rat_oral`).confidence, "U", `${k}'s value stays U`);
  }
  for (const r of t.values()) {
    assert.match(r.record_key, /^[0-9a-f]{64}$/);
    assert.equal(r.inchikey, byKey.get(r.molecule).computed.inchikey, `${r.key} is keyed by its molecule's RDKit InChIKey`);
    if (r.confidence !== "U") assert.ok(r.citation, `${r.key} (${r.confidence}) has a citation`);
  }
  assert.ok(!t.has("ethylene_glycol_lethal_dose_human"), "an estimated human lethal dose is not an LD50 record");
  assert.equal(new Set([...t.values()].map((r) => r.record_key)).size, t.size, "every record has its own key");
});

test("the record key is sha256 of the canonical JSON of the record's identity (the recipe of docs/seed-data.md)", () => {
  const dmso = reference.toxicity.find((r) => r.key === "dmso_ld50_rat_oral");
  // Written out by hand: keys sorted, no whitespace, nulls explicit.
  const text = '{"citation":"Acute oral LD50 reported in an acute/repeated inhalation toxicity study abstract, Sprague-Dawley rats",' +
    '"duration":null,"endpoint":"acute_oral_toxicity","inchikey":"IAZDPXIOMUYVGZ-UHFFFAOYSA-N","raw_qualifier":null,' +
    '"raw_unit":"mg/kg","raw_value":"14,500","route":"oral","sex":null,"source":"literature","species":"rat","value_type":"LD50"}';
  assert.equal(dmso.record_key, createHash("sha256").update(text).digest("hex"));
  assert.equal(canonicalJson({ b: 1, a: ["x", null, { d: "e\u0301", c: undefined }] }), '{"a":["x",null,{"c":null,"d":"\u00e9"}],"b":1}',
    "keys sorted at every level, NFC strings, undefined is null");
  const base = { source: "literature", inchikey: "X", endpoint: "e", value_type: "LD50", raw_value: "1", citation: "c" };
  assert.equal(recordKey(base), recordKey({ ...base, confidence: "U", value: 1 }), "neither the label nor the normalized value is identity");
  assert.notEqual(recordKey(base), recordKey({ ...base, species: "rat" }), "a stated species makes another record");
});

test("a curated value that does not normalize is rejected by name: unit, qualifier, number", () => {
  const n = (raw_qualifier, raw_value, raw_unit) => normalizeToxicity({ value_type: "LD50", raw_qualifier, raw_value, raw_unit });
  assert.deepEqual(n(null, "1.5", "g/kg"), { qualifier: "=", value: 1500, unit: "mg/kg", conversion: "g/kg × 1000 → mg/kg" });
  assert.match(n(null, "5", "mg/L").error, /unknown unit "mg\/L"/);
  assert.match(n("about", "5", "mg/kg").error, /unknown qualifier "about"/);
  assert.match(n(null, "5.000,5", "mg/kg").error, /not a number/);
  assert.match(n(null, "0", "mg/kg").error, /positive/);
  assert.match(normalizeToxicity({ value_type: "AC50", raw_value: "1", raw_unit: "µM" }).error, /LD50 only/);
});

test("a curated value about an unknown or structureless molecule, an unknown endpoint, or contradicting the molecule's property is rejected", async () => {
  const data = readJson(PATHS.reference);
  const rec = (over) => ({ ...data.toxicity[0], ...over });
  data.toxicity = [
    rec({ key: "t1", molecule: "nothing" }),
    rec({ key: "t2", molecule: "pvp_k12" }),
    rec({ key: "t3", endpoint: "acute_dermal_toxicity" }),
    rec({ key: "t4", raw_value: "14,000" }), // DMSO's rat oral property says 14,500
    rec({ key: "t5", raw_unit: "ppm" }),
    rec({ key: "t6" }), rec({ key: "t7" }), // the same record twice
  ];
  const r = await checkDataset(ReferenceFile.parse(data));
  const rule = (k) => r.rejections.filter((x) => x.record === k).map((x) => `${x.field}:${x.rule}`);
  assert.deepEqual(rule("t1"), ["molecule:unknown_molecule"]);
  assert.deepEqual(rule("t2"), ["molecule:no_structure"]);
  assert.deepEqual(rule("t3"), ["endpoint:unknown_endpoint"]);
  assert.deepEqual(rule("t4"), ["raw_value:property_conflict"]);
  assert.deepEqual(rule("t5"), ["raw_value:not_normalizable"]);
  assert.deepEqual([rule("t6"), rule("t7")], [[], ["record_key:duplicate_record"]]);
  assert.throws(() => ReferenceFile.parse({ ...data, toxicity_source: undefined }), /toxicity_source/);
});

test("structure rules: InChIKey mismatch, unparsable SMILES, unspecified stereo, a charged structure", async () => {
  const r = await check({
    molecules: [
      mol({ key: "k1", name: "ethanol?", inchikey: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N" }),
      mol({ key: "k2", smiles: "C1CC" }),
      mol({ key: "k4", name: "sucrose without stereo", smiles: "OCC1OC(OC2(CO)OC(CO)C(O)C2O)C(O)C(O)C1O" }),
      mol({ key: "k5", name: "acetate", smiles: "CC(=O)[O-]" }),
    ],
  });
  const rule = (k) => r.rejections.filter((x) => x.record === k).map((x) => `${x.field}:${x.rule}`);
  assert.deepEqual(rule("k1"), ["inchikey:mismatch"]);
  assert.deepEqual(rule("k2"), ["smiles:unparsable"]);
  assert.deepEqual(rule("k4"), ["smiles:unspecified_stereo"]);
  assert.deepEqual(rule("k5"), ["smiles:charged"]);
  assert.ok(casValid("64-17-5") && casValid("7732-18-5") && !casValid("64-17-6"), "CAS check digits");
});

test("a polymer needs no SMILES; a team may keep a private copy of a public structure but not use another team's", async () => {
  const r = await check({
    molecules: [
      { key: "pva_real", kind: "polymer", name: "poly(vinyl alcohol)", source: "test", confidence: "U" },
      mol({ key: "alpha_eg", name: "EG copy", smiles: "OCCO", team: "alpha", created_by: "alice" }),
      mol({ key: "beta_x", name: "propanol", smiles: "CCCO", team: "beta", created_by: "erin" }),
    ],
    mixtures: [
      mix({
        team: "alpha",
        created_by: "alice",
        components: [{ molecule: "beta_x", concentration: 1, unit: "M", role: "penetrating" }],
      }),
    ],
  });
  assert.deepEqual(r.rejections.map((x) => `${x.record}:${x.rule}`), ["m:unknown_molecule"]);
  assert.equal(r.molecules.length, 3);
});

test("loadVerifiedDataset throws a DatasetError listing every rejected record", async () => {
  const dir = mkdtempSync(join(tmpdir(), "seed-"));
  try {
    const p = join(dir, "bad.json");
    writeFileSync(p, readFileSync(KNOWN_BAD));
    await assert.rejects(loadVerifiedDataset(p, KnownBadFile, { reference }), (e) => {
      assert.ok(e instanceof DatasetError);
      assert.match(e.message, /pva_wrong/);
      assert.match(e.message, /hydroxyectoine_wrong/);
      assert.match(e.message, /vs55_wrong/);
      assert.match(e.message, /m22_wrong/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** --- Generation --- */

test("SQL strings are escaped", () => {
  assert.equal(sqlString("2,2'-oxydiethanol"), "'2,2''-oxydiethanol'");
  assert.equal(sqlString(null), "null");
  assert.throws(() => sqlString("a$cryo_seed$b"), /dollar-quote/);
  assert.throws(() => sqlString("a\0b"), /NUL/);
});

test("generation is deterministic and keeps the four demo users with their contract ids", async () => {
  const a = await generateSeedSql();
  const b = await generateSeedSql();
  assert.equal(a.sql, b.sql, "same input, same bytes");
  for (
    const [id, email] of [
      ["a11ce000-0000-4000-8000-000000000001", "alice@example.org"],
      ["b0b00000-0000-4000-8000-000000000002", "bob@example.org"],
      ["ca201000-0000-4000-8000-000000000003", "carol@example.org"],
      ["da7e0000-0000-4000-8000-000000000004", "dave@example.org"],
    ]
  ) {
    assert.match(
      a.sql,
      new RegExp(`\\('${id}', 'authenticated', 'authenticated', '${email.replace(".", "\\.")}',`),
      `${email} keeps id ${id}`,
    );
  }
  assert.match(a.sql, /^-- GENERATED FILE: do not edit/, "header says it is generated");
  assert.match(a.sql, /npm run seed:generate/, "header says how to regenerate");
  assert.ok(a.sql.includes("'2,2''-oxydiethanol'"), "a quote inside data is escaped in the output");
});

test("supabase/seed.sql is up to date; seed:check exits 0", async () => {
  const { sql } = await generateSeedSql();
  assert.equal(isStale(sql), false, "supabase/seed.sql is current: run npm run seed:generate");
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/seed/generate.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

test("a stale seed file is detected", async () => {
  const { sql } = await generateSeedSql();
  const dir = mkdtempSync(join(tmpdir(), "seed-"));
  try {
    const p = join(dir, "seed.sql");
    writeFileSync(p, sql.replace("'Alpha'", "'Alpha2'"));
    assert.equal(isStale(sql, p), true, "a changed file is stale");
    assert.equal(isStale(sql, join(dir, "missing.sql")), true, "a missing file is stale");
    writeFileSync(p, sql);
    assert.equal(isStale(sql, p), false, "an identical file is current");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** --- File schemas --- */

/** Writes `data` to a temporary file and returns the SeedFileError that reading it with `schema` throws. */
function schemaError(data, schema) {
  const dir = mkdtempSync(join(tmpdir(), "seed-"));
  try {
    const p = join(dir, "data.json");
    writeFileSync(p, JSON.stringify(data));
    let err;
    try {
      readSeedFile(p, schema);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof SeedFileError, `a SeedFileError, got ${err}`);
    return err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("each data file fits its schema", () => {
  assert.ok(readSeedFile(PATHS.reference, ReferenceFile).molecules.length >= 20);
  assert.equal(readSeedFile(PATHS.demo, DemoFile).users.length, 5);
  assert.ok(readSeedFile(KNOWN_BAD, KnownBadFile).molecules.every((m) => m.expect_rejection.length));
});

test("a reference file that does not fit fails with the zod path, the record and the message of every problem", () => {
  const data = readJson(PATHS.reference);
  data.molecules[0].cas = "67-68-4";
  delete data.molecules[1].smiles;
  data.molecules[2].molecular_wieght = 62.07;
  data.molecules[3].properties[0].value = "21000";
  Object.assign(data.mixtures[0].components[0], { unit: "mM", role: "solvent", concentration: 0 });
  data.mixtures[1].components = [];
  const e = schemaError(data, ReferenceFile);
  const lines = e.message.split("\n").slice(1).map((l) => l.replace(/^ {2}- /, ""));
  const want = [
    /^molecules\[0\]\.cas \(record dmso\): not a CAS registry number, or its check digit is wrong$/,
    /^molecules\[1\]\.smiles \(record glycerol\): a small molecule needs a SMILES$/,
    /^molecules\[2\] \(record ethylene_glycol\): Unrecognized key: "molecular_wieght"$/,
    /^molecules\[3\]\.properties\[0\]\.value \(record propylene_glycol\): .*expected number, received string$/,
    /^mixtures\[0\]\.components\[0\]\.concentration \(record vs55\): .*>0/,
    /^mixtures\[0\]\.components\[0\]\.unit \(record vs55\): .*"M"\|"mol\/kg"\|"% w\/v"\|"% v\/v"/,
    /^mixtures\[0\]\.components\[0\]\.role \(record vs55\): .*"penetrating"/,
    /^mixtures\[1\]\.components \(record \w+\): a mixture needs components$/,
  ];
  for (const re of want) assert.ok(lines.some((l) => re.test(l)), `${re} in\n${e.message}`);
  assert.equal(lines.length, want.length, "nothing else reported");
  assert.match(e.message, /^\S+\/data\.json: 8 problem\(s\):\n/, "names the file and counts the problems");
});

test("demo records must name users, teams and creators that exist, and users carry a UUID and an email", () => {
  const data = readJson(PATHS.demo);
  data.users[0].id = "alice";
  data.users[1].email = "bob";
  data.teams[0].members.push({ user: "mallory", role: "viewer" });
  data.molecules[0].team = "gamma";
  data.mixtures[0].created_by = "bob";
  const e = schemaError(data, DemoFile);
  for (
    const re of [
      /users\[0\]\.id \(record alice\): Invalid UUID/,
      /users\[1\]\.email \(record bob\): Invalid email/,
      /teams\[0\]\.members\[2\]\.user \(record alpha\): unknown user mallory/,
      /molecules\[0\]\.team \(record ectoine\): unknown team gamma/,
      /mixtures\[0\]\.created_by \(record \w+\): bob is not a member of alpha/,
    ]
  ) assert.match(e.message, re);
});

test("the generator refuses a data file that does not fit its schema, before any chemistry", async () => {
  const dir = mkdtempSync(join(tmpdir(), "seed-"));
  try {
    const data = readJson(PATHS.reference);
    data.molecules[0].confidence = "verified";
    const p = join(dir, "cpas.json");
    writeFileSync(p, JSON.stringify(data));
    await assert.rejects(generateSeedSql({ ...PATHS, reference: p }), (e) => {
      assert.ok(e instanceof SeedFileError);
      assert.match(
        e.message,
        /molecules\[0\]\.confidence \(record dmso\): Invalid option: expected one of "V"\|"V2"\|"C"\|"U"/,
      );
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
