// The toxicity import end to end on the test stack: the CLI (scripts/import.ts) and the function's import
// routes against the real database. Real files come from ../shared/data/toxicity (skipped with a message when
// absent); bad input is refused with a 4xx, a machine-readable code and nothing written.
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { adminSql, FUNCTIONS_URL } from "./_helpers.ts";
import { createClient, getToken, TEAMS, type TestClient } from "./_tokens.ts";
import { needsData, TOXICITY_DATA } from "../supabase/functions/_shared/toxicity/_testdata.ts";

const IMPORTS = `${FUNCTIONS_URL}/toxicity/imports`;
const ROOT = new URL("..", import.meta.url).pathname;

/** Runs the import CLI as `client` (exit code, parsed stdout JSON or null, stderr). */
async function cli(client: TestClient, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", "deno.json", "scripts/import.ts", ...args, "--url", FUNCTIONS_URL, "--quiet"],
    cwd: ROOT,
    env: { CRYO_CLIENT_ID: client.client_id, CRYO_CLIENT_SECRET: client.client_secret },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  let json = null;
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  return { code: out.code, json, stderr: new TextDecoder().decode(out.stderr) };
}

async function post(token: string, path: string, body: BodyInit, type: string, query = "") {
  const r = await fetch(`${IMPORTS}${path}${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": type },
    body,
  });
  return { status: r.status, body: await r.json() };
}

/** A curator client (public records) of team Alpha, whose public records of `source` are removed first. */
async function curator(sources: string[]): Promise<TestClient> {
  const sql = adminSql();
  try {
    await sql`insert into private.toxicity_curators (team_id, note) values (${TEAMS.Alpha}, 'tests') on conflict do nothing`;
    for (const s of sources) {
      await sql`delete from public.toxicity_records r using public.toxicity_sources s
        where s.id = r.source_id and s.name = ${s} and r.team_id is null`;
      await sql`delete from public.toxicity_import_jobs j using public.toxicity_sources s
        where s.id = j.source_id and s.name = ${s} and j.target_visibility = 'public'`;
    }
  } finally {
    await sql.end();
  }
  return await createClient("Alpha", "toxicity:import toxicity:read", "import-test");
}

/** A new team (deleted afterwards by `done`) with a client holding `scopes`. */
async function freshTeam(scopes = "toxicity:import toxicity:read") {
  const sql = adminSql();
  const id = crypto.randomUUID();
  await sql`insert into public.teams (id, name) values (${id}, ${"import-test-" + id.slice(0, 8)})`;
  const secret = await import("../supabase/functions/_shared/client-secret.ts");
  const s = secret.newClientSecret();
  const pepper = (await Deno.readTextFile(new URL("../.local/keys/client_secret_pepper", import.meta.url))).trim();
  const [row] = await sql`select client_id from private.create_service_client(${id}::uuid, 'import test', ${
    scopes.split(" ")
  }::text[], ${await secret.hashClientSecret(s, pepper)})`;
  const client: TestClient = { client_id: row.client_id, client_secret: s, team_id: id };
  return {
    client,
    token: await getToken(client),
    sql,
    done: async () => {
      await sql`delete from public.toxicity_import_jobs where team_id = ${id}`;
      await sql`delete from public.toxicity_records where team_id = ${id}`;
      await sql`delete from public.molecules where team_id = ${id}`;
      await sql`delete from public.teams where id = ${id}`;
      await sql.end();
    },
  };
}

const counts = (j: Record<string, number>) => ({
  imported: Number(j.imported),
  duplicate: Number(j.duplicate),
  rejected: Number(j.rejected),
  not_a_record: Number(j.not_a_record),
});

// --- Real files ---

/** Spot values of a real file's import, read back from the database (admin, so the check sees every row). */
type Spot = (sql: ReturnType<typeof adminSql>, jobId: string) => Promise<void>;

const DMSO = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N";

/**
 * Expected buckets of each real file imported into an empty public key space: the dry run's
 * (docs/toxicity-data.md) for the structure files; ICE differs by the chemicals no molecule has (rejected
 * UNRESOLVED_IDENTIFIER: nothing is invented). toxcast: its first 100 rows (the whole file is the benchmark's).
 * Conflict groups are counted per molecule in the database, so a skeleton-linked structure can add groups: at
 * least the dry run's.
 */
const REAL: {
  file: string;
  source: string;
  args: string[];
  rows: number;
  buckets: Record<string, number>;
  minConflicts: number;
  reimport: boolean;
  spot: Spot;
}[] = [
  {
    file: "tox21.csv.gz",
    source: "tox21",
    args: [],
    rows: 8014,
    buckets: { imported: 77907, duplicate: 1584, rejected: 82, not_a_record: 16595 },
    minConflicts: 65,
    reimport: false,
    spot: async (sql, job) => {
      const calls = await sql`select a.source_assay_id as assay, r.value from public.toxicity_records r
        join public.molecules m on m.id = r.molecule_id join public.toxicity_assays a on a.id = r.assay_id
        where r.import_job_id = ${job} and m.inchikey = ${DMSO} order by a.source_assay_id`;
      assert.equal(calls.length, 12, "DMSO has its 12 calls");
      assert.deepEqual(
        calls.filter((c) => c.value === 1).map((c) => c.assay),
        ["SR-ARE"],
        "DMSO is active in SR-ARE only",
      );
      const alh3 = await sql`select distinct source_row, field, code, reason from public.toxicity_import_errors
        where job_id = ${job} order by source_row`;
      assert.equal(alh3.length, 8, "the 8 [AlH3] rows are rejected");
      for (const e of alh3) {
        assert.equal(e.field, "smiles");
        assert.equal(e.code, "INVALID_STRUCTURE");
        assert.match(e.reason, /RDKit/);
      }
    },
  },
  {
    file: "LD50_Zhu.csv",
    source: "ld50-zhu",
    args: [],
    rows: 7385,
    buckets: { imported: 7376, duplicate: 9, rejected: 0, not_a_record: 0 },
    minConflicts: 30,
    reimport: true,
    spot: async (sql, job) => {
      const [d] =
        await sql`select r.raw_value, r.raw_unit, r.value, r.unit, r.species, r.route from public.toxicity_records r
        join public.molecules m on m.id = r.molecule_id where r.import_job_id = ${job} and m.inchikey = ${DMSO}`;
      assert.deepEqual([d.raw_value, d.raw_unit, d.unit, d.species, d.route], [
        "0.731",
        "log10(1/(mol/kg))",
        "mg/kg",
        "rat",
        "oral",
      ]);
      assert.ok(Math.abs(d.value - 14515) < 5, `DMSO's LD50 is ≈ 14,515 mg/kg (got ${d.value})`);
      // Sucrose without stereo (CZMRCDWAGMRECN-UHFFFAOYSA-N) is linked to the seeded sucrose by skeleton, flagged.
      const [s] =
        await sql`select r.molecule_match, m.inchikey from public.toxicity_records r join public.molecules m on m.id = r.molecule_id
        where r.import_job_id = ${job} and r.raw_value = '1.062' and m.inchikey like 'CZMRCDWAGMRECN-%'`;
      assert.deepEqual([s?.molecule_match, s?.inchikey], ["skeleton", "CZMRCDWAGMRECN-UGDNZRGBSA-N"]);
    },
  },
  {
    file: "Acute_Oral_Toxicity.Data.csv",
    source: "niehs-ice",
    args: [],
    rows: 16167,
    // 4,485 formulation rows + 82 rows of seeded chemicals (by CAS); 11,571 chemical rows name a CAS no molecule has.
    buckets: { imported: 4567, duplicate: 29, rejected: 11571, not_a_record: 0 },
    minConflicts: 36,
    reimport: true,
    spot: async (sql, job) => {
      const dmso =
        await sql`select r.raw_value from public.toxicity_records r join public.molecules m on m.id = r.molecule_id
        where r.import_job_id = ${job} and m.cas = '67-68-5' and r.value_type = 'LD50' order by r.value`;
      assert.deepEqual(dmso.map((r) => r.raw_value), ["14500", "28300"], "DMSO's two ICE LD50s");
      const gly =
        await sql`select coalesce(r.raw_qualifier, '') || r.raw_value as v, r.qualifier from public.toxicity_records r
        join public.molecules m on m.id = r.molecule_id where r.import_job_id = ${job} and m.cas = '56-81-5' order by r.value`;
      assert.equal(gly.length, 9, "glycerol's 9 ICE values");
      assert.ok(gly.some((r) => r.v === ">18315" && r.qualifier === ">"), "glycerol >18315 keeps its qualifier");
      assert.ok(gly.some((r) => r.v === "<21980" && r.qualifier === "<"), "glycerol <21980 keeps its qualifier");
      const [f] = await sql`select count(*)::int as n, count(molecule_id)::int as credited from public.toxicity_records
        where import_job_id = ${job} and formulation_name is not null`;
      assert.ok(f.n > 0, "formulation rows are imported");
      assert.equal(f.credited, 0, "and never credited to the pure chemical");
      const [eth] =
        await sql`select count(*)::int as n from public.toxicity_records r join public.molecules m on m.id = r.molecule_id
        where r.import_job_id = ${job} and m.cas = '64-17-5' and r.value_type <> 'LD50'`;
      assert.equal(eth.n, 0, "ethanol carries none of Cavicide 1's class rows");
    },
  },
  {
    file: "toxcast.csv.gz",
    source: "toxcast",
    args: ["--rows", "100"],
    rows: 100,
    buckets: { imported: 18606, duplicate: 0, rejected: 0, not_a_record: 43094 },
    minConflicts: 0,
    reimport: false,
    spot: async (sql, job) => {
      const [{ n }] =
        await sql`select count(*)::int as n from public.toxicity_records where import_job_id = ${job} and value not in (0, 1)`;
      assert.equal(n, 0, "every toxcast record is a 0/1 call");
    },
  },
];

for (const f of REAL) {
  Deno.test({
    name: `real file ${f.file}: every bucket exact in the database, spot values${
      f.reimport ? ", a re-import changes nothing" : ""
    }`,
    ignore: needsData(),
    fn: async () => {
      const client = await curator([f.source]);
      const path = `${TOXICITY_DATA}/${f.file}`;
      const first = await cli(client, [path, "--visibility", "public", ...f.args]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.json.rows, f.rows);
      assert.deepEqual(first.json.buckets, f.buckets, "the buckets of the first import");
      assert.ok(first.json.conflict_groups >= f.minConflicts, "at least the dry run's conflict groups");
      const sql = adminSql();
      try {
        const [{ n }] =
          await sql`select count(*)::int as n from public.toxicity_records where import_job_id = ${first.json.job_id}`;
        assert.equal(n, f.buckets.imported, "the records in the table are the imported bucket");
        await f.spot(sql, first.json.job_id);
        if (!f.reimport) return;
        const again = await cli(client, [path, "--visibility", "public", ...f.args]);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(again.json.buckets, {
          imported: 0,
          duplicate: f.buckets.imported + f.buckets.duplicate,
          rejected: f.buckets.rejected,
          not_a_record: f.buckets.not_a_record,
        }, "a re-import imports nothing");
        const [{ total }] = await sql`select count(*)::int as total from public.toxicity_records r
          join public.toxicity_sources s on s.id = r.source_id where s.name = ${f.source} and r.team_id is null`;
        assert.equal(total, f.buckets.imported, "no record was added by the re-import");
      } finally {
        // Leave the stack as seeded (tests/unit/seed-load.test.mjs counts its public molecules): the records
        // of this source, then the molecules the import created that nothing else uses.
        await sql`delete from public.toxicity_records r using public.toxicity_sources s
          where s.id = r.source_id and s.name = ${f.source} and r.team_id is null`;
        await sql`delete from public.molecules m where m.source = ${f.source} and m.visibility = 'public'
          and not exists (select from public.toxicity_records r where r.molecule_id = m.id or r.active_ingredient_molecule_id = m.id)`;
        await sql.end();
      }
    },
  });
}

// --- Bad input: 4xx, a code, nothing written ---

const LD50_ROW = (smiles: string, v: string) => `index,smiles,active\n1,${smiles},${v}\n`;

Deno.test("a token without toxicity:import gets 403; a job of another team is 404 for batches, commit and status", async () => {
  const a = await freshTeam();
  const b = await freshTeam();
  const reader = await freshTeam("toxicity:read");
  try {
    const denied = await post(reader.token, "", LD50_ROW("CCO", "0.8"), "text/csv", "?format=ld50-zhu");
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, "insufficient_scope");
    const started = await post(
      a.token,
      "",
      JSON.stringify({ format: "ld50-zhu", file_sha256: "b".repeat(64) }),
      "application/json",
    );
    assert.equal(started.status, 201);
    const id = started.body.job.id;
    const batch = JSON.stringify({ batch_no: 0, records: [], rejected: [], not_a_record: 1 });
    const other = await post(b.token, `/${id}/batches`, batch, "application/json");
    assert.equal(other.status, 404, "another team's job is not found");
    assert.equal(other.body.error.code, "JOB_NOT_FOUND");
    assert.equal((await post(b.token, `/${id}/commit`, "", "application/json")).status, 404);
    const st = await fetch(`${IMPORTS}/${id}`, { headers: { authorization: `Bearer ${b.token}` } });
    assert.equal(st.status, 404);
    await st.body?.cancel();
    const [{ n }] = await a.sql`select batches_received as n from public.toxicity_import_jobs where id = ${id}`;
    assert.equal(n, 0, "nothing was written to the job");
  } finally {
    await a.done();
    await b.done();
    await reader.done();
  }
});

Deno.test("public records need a curator team: a non-curator's public import is 403 NOT_A_CURATOR", async () => {
  const t = await freshTeam();
  try {
    const r = await post(t.token, "", LD50_ROW("CCO", "0.8"), "text/csv", "?format=ld50-zhu&visibility=public");
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, "NOT_A_CURATOR");
    const [{ n }] = await t
      .sql`select count(*)::int as n from public.toxicity_import_jobs where team_id = ${t.client.team_id}`;
    assert.equal(n, 0);
    const ok = await post(t.token, "", LD50_ROW("CCO", "0.8"), "text/csv", "?format=ld50-zhu");
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.job.imported, 1);
    const [rec] = await t
      .sql`select visibility, team_id from public.toxicity_records where import_job_id = ${ok.body.job.id}`;
    assert.deepEqual({ ...rec }, { visibility: "team", team_id: t.client.team_id }, "a team import is team-private");
  } finally {
    await t.done();
  }
});

/** A valid cryoprotect record of ethanol's LD50 (computed like the readers do), to be spoiled by the tests. */
async function ethanolRecord(): Promise<Record<string, any>> {
  const { rdkitContext, readOutcomes } = await import("../supabase/functions/_shared/toxicity/formats.ts");
  const ctx = await rdkitContext();
  for await (const o of readOutcomes(new Blob([LD50_ROW("CCO", "0.815")]).stream(), "ld50-zhu", ctx)) {
    if (o.kind === "record") return structuredClone(o.record) as Record<string, any>;
  }
  throw new Error("no record");
}

Deno.test("bad input is a 4xx with a machine-readable code and nothing written", async () => {
  const t = await freshTeam();
  const jobs = async () =>
    (await t.sql`select count(*)::int as n from public.toxicity_import_jobs where team_id = ${t.client.team_id}`)[0].n;
  try {
    const good = await ethanolRecord();
    const ndjson = (r: unknown) => JSON.stringify(r) + "\n";

    const unit = { ...good, raw: { ...good.raw, unit: "mg/kg-day" } };
    let r = await post(t.token, "", ndjson(unit), "application/x-ndjson", "?format=cryoprotect&source=ld50-zhu");
    assert.equal(r.status, 422, "unknown unit");
    assert.equal(r.body.error.code, "ROWS_REJECTED");
    assert.equal(r.body.error.details[0].code, "UNKNOWN_UNIT");
    assert.match(r.body.error.details[0].reason, /mg\/kg-day/, "the unit is named");

    const qual = { ...good, normalized: { ...good.normalized, qualifier: "≈" } };
    r = await post(t.token, "", ndjson(qual), "application/x-ndjson", "?format=cryoprotect&source=ld50-zhu");
    assert.equal(r.status, 422, "a qualifier outside the set");
    assert.equal(r.body.error.details[0].field, "normalized.qualifier");

    r = await post(t.token, "", "idx,smile,value\n1,CCO,1\n", "text/csv", "?format=ld50-zhu");
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, "WRONG_HEADER");

    const garbage = crypto.getRandomValues(new Uint8Array(65536));
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i += garbage.length) {
      big.set(garbage.subarray(0, Math.min(garbage.length, big.length - i)), i);
    }
    r = await post(t.token, "", big, "text/csv", "?format=ld50-zhu");
    assert.equal(r.status, 413, "10 MB of garbage");
    assert.equal(r.body.error.code, "TOO_LARGE");

    const bomb = new Uint8Array(gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 })); // ≈ 64 KB sent, 64 MB inflated
    assert.ok(bomb.length < 1024 * 1024);
    r = await post(t.token, "", bomb, "application/gzip", "?format=ld50-zhu");
    assert.equal(r.status, 413, "a gzip bomb");
    assert.equal(r.body.error.code, "TOO_LARGE");

    const header = "Data Name,Data Type,Data Version,Record ID,Mixture,Chemical Name,CASRN,DTXSID,Formulation ID," +
      "Formulation Name,Percent Active Ingredient,Species,Sex,Assay,Endpoint,Response Modifier,Response,Response Unit,Reference,URL";
    const row =
      "Acute Oral Toxicity,In Vivo,V1.0,AcuteOralToxicity_1,Chemical,Unknownium,1234567-89-5,,,,,Rat,,Rat Acute Oral Toxicity,LD50,,100,mg/kg,,";
    // The source and its assay exist (a curator's import adds them), so that the identifier is what fails.
    await t.sql`insert into public.toxicity_sources (name, title) select name, title from private.toxicity_known_sources
      where name = 'niehs-ice' on conflict do nothing`;
    await t.sql`insert into public.toxicity_assays (source_id, source_assay_id) select id, 'Rat Acute Oral Toxicity'
      from public.toxicity_sources where name = 'niehs-ice' on conflict do nothing`;
    r = await post(t.token, "", `${header}\n${row}\n`, "text/csv", "?format=niehs-ice");
    assert.equal(r.status, 422, `an identifier that does not resolve: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.details[0].code, "UNRESOLVED_IDENTIFIER");

    assert.equal(await jobs(), 0, "no job, record or error was written by any refused upload");

    // Batches: a record whose stated InChIKey contradicts its SMILES is rejected (never trusted).
    const started = await post(
      t.token,
      "",
      JSON.stringify({ format: "cryoprotect", source: "ld50-zhu", file_sha256: "c".repeat(64) }),
      "application/json",
    );
    const id = started.body.job.id;
    const liar = { ...good, substance: { ...good.substance, inchikey: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N" } };
    const b0 = JSON.stringify({ batch_no: 0, records: [liar, good], rejected: [], not_a_record: 0 });
    r = await post(t.token, `/${id}/batches`, b0, "application/json");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.imported, r.body.rejected, r.body.replayed], [1, 1, false]);
    const replay = await post(t.token, `/${id}/batches`, b0, "application/json");
    assert.deepEqual(
      [replay.status, replay.body.replayed, replay.body.job.units_seen],
      [200, true, 2],
      "a replay changes nothing",
    );
    const changed = JSON.stringify({ batch_no: 0, records: [good], rejected: [], not_a_record: 0 });
    r = await post(t.token, `/${id}/batches`, changed, "application/json");
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, "BATCH_MISMATCH");
    const tooMany = JSON.stringify({ batch_no: 1, records: Array(5001).fill(good) });
    r = await post(t.token, `/${id}/batches`, tooMany, "application/json");
    assert.equal(r.status, 413);
    const st = await (await fetch(`${IMPORTS}/${id}`, { headers: { authorization: `Bearer ${t.token}` } })).json();
    assert.deepEqual(counts(st.job), { imported: 1, duplicate: 0, rejected: 1, not_a_record: 0 });
    assert.equal(st.errors[0].field, "substance.inchikey");
    assert.equal(st.errors[0].code, "CLAIM_MISMATCH");
  } finally {
    await t.done();
  }
});
