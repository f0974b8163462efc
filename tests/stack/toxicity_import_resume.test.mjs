// The toxicity import survives crashes (issue 10): the CLI SIGKILLed mid-import and run again resumes the
// same job, skipping the batches already received; Postgres SIGKILLed mid-import comes back and the running
// CLI retries its way to the end. Either way the job's buckets equal an uninterrupted import's, exactly, and
// no record exists twice. Real data (the first rows of LD50_Zhu.csv) when ../shared/data/toxicity is present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { readPid, sleep } from "../../scripts/lib/proc.mjs";
import { startPostgres } from "../../scripts/lib/postgres.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
const DATA = [process.env.CRYO_TOXICITY_DATA, resolve(ROOT, "../shared/data/toxicity"), "/work/shared/data/toxicity"]
  .find((d) => d && existsSync(join(d, "LD50_Zhu.csv")));
const FILE = DATA && join(DATA, "LD50_Zhu.csv");
const ARGS = ["--rows", "1500", "--batch", "100"]; // 15 batches
const skip = DATA ? false : "SKIPPED: the real toxicity files are absent (../shared/data/toxicity)";
if (skip) console.log(skip);

/** A new team with a toxicity:import client; `done()` removes the team and what its imports wrote. */
async function team(tag) {
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  const name = `resume-${tag}-${Date.now()}`;
  const [{ id }] = await sql`insert into public.teams (name) values (${name}) returning id`;
  const { run } = await import("../../scripts/service-client.mjs");
  const client = await run(["create", "--team", name, "--name", `resume ${tag}`, "--scope", "toxicity:import"], c);
  await sql.end();
  return {
    id,
    client,
    done: async () => {
      const s = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
      await s`delete from public.toxicity_import_jobs where team_id = ${id}`;
      await s`delete from public.toxicity_records where team_id = ${id}`;
      await s`delete from public.molecules where team_id = ${id}`;
      await s`delete from public.teams where id = ${id}`;
      await s.end();
    },
  };
}

/** Starts the CLI as `client`; resolves to { code, json } when it exits. */
function importCli(client) {
  const child = spawn(join(ROOT, "node_modules/.bin/deno"), [
    "run",
    "-A",
    "--config",
    "deno.json",
    "scripts/import.ts",
    FILE,
    ...ARGS,
    "--url",
    c.functionsUrl,
    "--quiet",
  ], {
    cwd: ROOT,
    env: { ...process.env, CRYO_CLIENT_ID: client.client_id, CRYO_CLIENT_SECRET: client.client_secret },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", err = "";
  child.stdout.on("data", (d) => out += d);
  child.stderr.on("data", (d) => err += d);
  const done = new Promise((res) =>
    child.on("exit", (code, signal) => {
      let json = null;
      try {
        json = JSON.parse(out);
      } catch { /* not JSON */ }
      res({ code, signal, json, err });
    })
  );
  return { child, done };
}

/** The team's job and whether any record of it exists twice. */
async function jobOf(teamId) {
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const jobs = await sql`select id, status, batches_received, units_seen, imported, duplicate, rejected, not_a_record
      from public.toxicity_import_jobs where team_id = ${teamId} order by created_at`;
    const [{ n, keys }] = await sql`select count(*)::int as n, count(distinct record_key)::int as keys
      from public.toxicity_records where team_id = ${teamId}`;
    return { jobs, records: n, keys };
  } finally {
    await sql.end();
  }
}

async function untilBatches(teamId, n, boundMs = 300000) {
  const t = Date.now();
  while (Date.now() - t < boundMs) {
    const { jobs } = await jobOf(teamId);
    if (jobs[0]?.batches_received >= n) return jobs[0].batches_received;
    await sleep(200);
  }
  throw new Error(`the job did not reach ${n} batches`);
}

const buckets = (j) => ({
  imported: Number(j.imported),
  duplicate: Number(j.duplicate),
  rejected: Number(j.rejected),
  not_a_record: Number(j.not_a_record),
});

let reference = null;
async function referenceBuckets() {
  if (reference) return reference;
  const t = await team("ref");
  try {
    const r = await importCli(t.client).done;
    assert.equal(r.code, 0, r.err);
    reference = r.json.buckets;
    assert.equal(reference.imported + reference.duplicate + reference.rejected + reference.not_a_record, 1500);
    return reference;
  } finally {
    await t.done();
  }
}

test(
  "the CLI SIGKILLed mid-import and run again: same job, batches received are skipped, exact counts, no duplicates",
  {
    skip,
  },
  async () => {
    const expected = await referenceBuckets();
    const t = await team("cli");
    try {
      const first = importCli(t.client);
      await untilBatches(t.id, 3);
      first.child.kill("SIGKILL");
      const killed = await first.done;
      assert.equal(killed.signal, "SIGKILL");
      const before = await jobOf(t.id);
      assert.equal(before.jobs[0].status, "open", "the job stays open");
      const t0 = performance.now();
      const again = await importCli(t.client).done;
      assert.equal(again.code, 0, again.err);
      console.log(`# resumed import after a CLI kill: ${Math.round(performance.now() - t0)} ms to the end`);
      assert.equal(again.json.resumed, true, "the second run resumed the job");
      assert.equal(again.json.job_id, before.jobs[0].id);
      assert.ok(
        again.json.batches.skipped_already_received >= before.jobs[0].batches_received,
        "received batches were skipped",
      );
      assert.deepEqual(again.json.buckets, expected, "the buckets equal an uninterrupted import's");
      const after = await jobOf(t.id);
      assert.equal(after.jobs.length, 1, "one job");
      assert.equal(after.records, expected.imported, "the records are the imported bucket");
      assert.equal(after.keys, after.records, "no record twice");
    } finally {
      await t.done();
    }
  },
);

test(
  "Postgres SIGKILLed mid-import: it restarts, the running CLI retries and finishes with exact counts, no duplicates",
  {
    skip,
  },
  async () => {
    const expected = await referenceBuckets();
    const t = await team("pg");
    try {
      const run = importCli(t.client);
      const had = await untilBatches(t.id, 3);
      process.kill(readPid(join(c.pgdata, "postmaster.pid")), "SIGKILL");
      await sleep(1000);
      const t0 = performance.now();
      await startPostgres(c);
      const restarted = performance.now();
      await untilBatches(t.id, had + 1);
      console.log(
        `# Postgres SIGKILLed: restart ${Math.round(restarted - t0)} ms, next batch accepted ` +
          `${Math.round(performance.now() - restarted)} ms after the restart`,
      );
      const r = await run.done;
      assert.equal(r.code, 0, r.err);
      assert.ok(r.json.retries >= 1, "the CLI retried through the outage");
      assert.deepEqual(r.json.buckets, expected, "the buckets equal an uninterrupted import's");
      const after = await jobOf(t.id);
      assert.equal(after.jobs.length, 1);
      assert.equal(after.jobs[0].status, "committed");
      assert.equal(
        after.records,
        expected.imported,
        "the records are the imported bucket: no batch was lost or doubled",
      );
      assert.equal(after.keys, after.records, "no record twice");
    } finally {
      await t.done();
    }
  },
);
