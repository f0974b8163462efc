// npm run import -- <file> [--format tox21|toxcast|ld50-zhu|niehs-ice|cryoprotect] [--visibility team|public]
//                         [--client <name> [--team <team>] [--curator]] [--url <functions url>] [--dry-run]
//
// Streams a toxicity file (gzip too), validates every row with the shared modules of the `toxicity` function
// (supabase/functions/_shared/toxicity: zod, RDKit, units), and uploads it in batches through the token client:
// POST /toxicity/imports (the same file resumes its open job: batches already received are skipped), then
// POST /toxicity/imports/{id}/batches, then /commit. Progress bar on stderr (bytes of the file read, rows, rows/s,
// ETA); the job's buckets as JSON on stdout. Transient failures (network, 5xx, 429) are retried with backoff
// (cockatiel), so an import survives a restart of the function or Postgres; kill the CLI and run the same
// command again to resume.
//
// Credentials: CRYO_CLIENT_ID / CRYO_CLIENT_SECRET (a service client with toxicity:import) and --url (or
// FUNCTIONS_URL); or, on the local stack, `--client <name>`: the client is created once (team --team, default
// Alpha; scopes toxicity:import toxicity:read) and kept in .local/import-clients/<name>.json; `--curator` also
// lists its team in private.toxicity_curators (local stack only: the project owner's decision in production).
//
//   --dry-run        read and reconcile only, send nothing (prints the buckets the file would produce)
//   --batch <n>      records per batch (default 1000; a resumed import must use the same value)
//   --rows <n>       only the first n data rows (a deterministic slice: its own job, keyed by file digest + n)
//   --json-schema    print the JSON Schema of a `cryoprotect` line
//   Exit codes: 0 done, 1 the file or the server refused (wrong header, 4xx), 2 bad arguments, 3 gave up retrying.
import cliProgress from "cli-progress";
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type Format,
  formatFromName,
  FORMATS,
  rdkitContext,
  readAll,
  readOutcomes,
} from "../supabase/functions/_shared/toxicity/formats.ts";
import { recordJsonSchema, type ToxicityRecord } from "../supabase/functions/_shared/toxicity/record.ts";
import { TokenClient } from "../supabase/functions/_shared/token-client.mjs";

/** Distinct SMILES per batch: the function recomputes each with RDKit (≈ 0.4–1.1 ms; docs/toxicity-import.md). */
const MAX_STRUCTURES = 500;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = `usage: npm run import -- <file> [--format ${FORMATS.join("|")}] [--visibility team|public] ` +
  "[--client <name> [--team <team>] [--curator] | --url <functions url>] [--dry-run]";

function fail(msg: string, code = 2): never {
  console.error(msg);
  Deno.exit(code);
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    format: { type: "string" },
    visibility: { type: "string", default: "team" },
    url: { type: "string" },
    client: { type: "string" },
    team: { type: "string", default: "Alpha" },
    curator: { type: "boolean", default: false },
    batch: { type: "string", default: "1000" },
    rows: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    "json-schema": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});

if (values["json-schema"]) {
  console.log(JSON.stringify(recordJsonSchema(), null, 2));
  Deno.exit(0);
}
if (positionals.length !== 1) fail(USAGE);
const path = positionals[0];
const format = (values.format ?? formatFromName(path)) as Format | null;
if (!format) fail(`cannot tell the format of ${path} from its name: pass --format (${FORMATS.join("|")})`);
if (!FORMATS.includes(format)) fail(`unknown format ${JSON.stringify(format)}; formats: ${FORMATS.join(", ")}`);
if (!["team", "public"].includes(values.visibility!)) fail(`--visibility is team or public\n${USAGE}`);
const batchUnits = Number(values.batch);
if (!Number.isInteger(batchUnits) || batchUnits < 1 || batchUnits > 5000) fail("--batch is an integer from 1 to 5000");
const maxRows = values.rows === undefined ? Infinity : Number(values.rows);
if (!(maxRows === Infinity || (Number.isInteger(maxRows) && maxRows > 0))) fail("--rows is a positive integer");

const size = (await Deno.stat(path).catch((e) => fail(`cannot open ${path}: ${e.message}`, 1))).size;
let bytesRead = 0;
async function fileStream(): Promise<ReadableStream<Uint8Array>> {
  const file = await Deno.open(path);
  return file.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        bytesRead += chunk.length;
        ctl.enqueue(chunk);
      },
    }),
  );
}

// Progress is by bytes of the file on disk (known in advance, even for gzip), so the ETA is real; the rate
// shown is data rows per second.
const bar = new cliProgress.SingleBar({
  format: "{bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted} | {status}",
  noTTYOutput: false,
  etaBuffer: 20,
  hideCursor: true,
}, cliProgress.Presets.shades_classic);
const quiet = values.quiet || !Deno.stderr.isTerminal();
const t0 = performance.now();
let status = values["dry-run"] ? "dry run" : "starting";
const progress = (rows: number) => {
  if (quiet) return;
  const s = (performance.now() - t0) / 1000;
  bar.update(bytesRead, { rows, rate: Math.round(rows / Math.max(s, 1e-3)), status });
};

if (values["dry-run"]) {
  if (!quiet) bar.start(size, 0, { rows: 0, rate: 0, status });
  try {
    const summary = await readAll(await fileStream(), { format, progressEvery: 500, onProgress: progress });
    const seconds = (performance.now() - t0) / 1000;
    if (!quiet) {
      bar.update(size);
      bar.stop();
    }
    const { rejections, ...rest } = summary;
    console.log(JSON.stringify(
      {
        file: path,
        dry_run: true,
        ...rest,
        rejections: rejections.slice(0, 100),
        rejections_listed: Math.min(100, rejections.length),
        seconds: Number(seconds.toFixed(3)),
        rows_per_second: Math.round(summary.rows / seconds),
        units_per_second: Math.round(summary.units / seconds),
      },
      null,
      2,
    ));
  } catch (e) {
    if (!quiet) bar.stop();
    const err = e as Error & { code?: string };
    fail(`${path}: ${err.code ? err.code + ": " : ""}${err.message}`, 1);
  }
  Deno.exit(0);
}

// --- Credentials ---

type Creds = { functionsUrl: string; clientId: string; clientSecret: string };

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) fail(`${cmd} ${args[0]} failed: ${new TextDecoder().decode(out.stderr).slice(0, 500)}`, 1);
  return text;
}

async function localClient(name: string): Promise<Creds> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) fail("--client names a local client: letters, digits, _ . -");
  const st = JSON.parse(await run("node", ["scripts/stack.mjs", "status", "-o", "json"]));
  if (!st.FUNCTIONS_URL || !st.DB_URL) fail("the local stack is not running: npm start", 1);
  const file = join(ROOT, ".local/import-clients", `${name}.json`);
  let saved = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
  if (saved && saved.db_url !== st.DB_URL) saved = null; // another stack (port offset) than the one it was made on
  if (saved) {
    // A reset stack forgets its clients: make it again if the id is gone.
    const n = (await run("psql", [
      `${st.DB_URL}?sslmode=disable`,
      "-Atc",
      `select count(*) from private.service_clients where client_id = '${saved.client_id}'`,
    ])).trim();
    if (n !== "1") saved = null;
  }
  if (!saved) {
    const made = JSON.parse(
      await run("node", [
        "scripts/service-client.mjs",
        "create",
        "--team",
        values.team!,
        "--name",
        `import ${name} ${crypto.randomUUID().slice(0, 8)}`,
        "--scope",
        "toxicity:import toxicity:read",
      ]),
    );
    saved = { client_id: made.client_id, client_secret: made.client_secret, team_id: made.team_id, db_url: st.DB_URL };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(saved, null, 2), { mode: 0o600 });
  }
  if (values.curator) {
    await run("psql", [
      `${st.DB_URL}?sslmode=disable`,
      "-Atc",
      `insert into private.toxicity_curators (team_id, note) values ('${saved.team_id}', 'local: npm run import --curator') on conflict do nothing`,
    ]);
  }
  return { functionsUrl: st.FUNCTIONS_URL, clientId: saved.client_id, clientSecret: saved.client_secret };
}

const creds: Creds = values.client ? await localClient(values.client) : (() => {
  const functionsUrl = values.url ?? Deno.env.get("FUNCTIONS_URL");
  const clientId = Deno.env.get("CRYO_CLIENT_ID");
  const clientSecret = Deno.env.get("CRYO_CLIENT_SECRET");
  if (!functionsUrl || !clientId || !clientSecret) {
    fail(`pass --client <name> (local stack), or --url and CRYO_CLIENT_ID / CRYO_CLIENT_SECRET\n${USAGE}`);
  }
  return { functionsUrl: functionsUrl.replace(/\/$/, ""), clientId, clientSecret };
})();

const tokens = new TokenClient({
  tokenUrl: `${creds.functionsUrl}/service-token`,
  clientId: creds.clientId,
  clientSecret: creds.clientSecret,
  scope: "toxicity:import",
});

// --- HTTP with retries ---

/** A failure worth retrying: the network, 5xx, 429. Anything else (4xx) is final. */
class Transient extends Error {}
class Refused extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`HTTP ${status}: ${JSON.stringify(body).slice(0, 2000)}`);
  }
}

const policy = retry(handleWhen((e) => e instanceof Transient), {
  maxAttempts: 40,
  backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5000 }),
});
let retries = 0;
policy.onRetry(() => {
  retries++;
  status = `retrying (${retries})`;
});

async function api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  return await policy.execute(async () => {
    let r: Response;
    try {
      r = await fetch(`${creds.functionsUrl}/toxicity${p}`, {
        method,
        headers: { authorization: await tokens.authorization(), "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new Transient(String(e));
    }
    const text = await r.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    if (r.status === 401) tokens.invalidate();
    if (r.status >= 500 || r.status === 429 || r.status === 401) throw new Transient(`HTTP ${r.status}`);
    if (r.status >= 400) throw new Refused(r.status, json);
    return { status: r.status, body: json };
  });
}

// --- The upload ---

try {
  const hash = createHash("sha256");
  for await (const chunk of (await Deno.open(path)).readable) hash.update(chunk);
  const fileSha = hash.digest("hex");
  const sha = maxRows === Infinity
    ? fileSha
    : createHash("sha256").update(`${fileSha}:first ${maxRows} rows`).digest("hex");
  const started = await api("POST", "/imports", {
    format,
    file_name: path.split("/").pop()!.slice(0, 255),
    file_sha256: sha,
    target_visibility: values.visibility,
  });
  const job = started.body.job;
  const received = new Set<number>(job.received_batches);
  const resumed = started.status === 200;
  status = resumed ? `resuming job ${job.id.slice(0, 8)} (${received.size} batches in)` : `job ${job.id.slice(0, 8)}`;
  if (!quiet) bar.start(size, 0, { rows: 0, rate: 0, status });

  const ctx = await rdkitContext();
  let sent = 0;
  let skipped = 0;
  let rows = 0;
  class SliceEnd extends Error {}

  /** One pass over the file: every batch not in `received` is sent. Returns the number of batches. */
  const pass = async (received: Set<number>): Promise<number> => {
    let batchNo = 0;
    let records: ToxicityRecord[] = [];
    let rejected: { row: number; field: string; reason: string }[] = [];
    let notARecord = 0;
    let smiles = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    const flush = async () => {
      const no = batchNo++;
      const body = { batch_no: no, not_a_record: notARecord, records, rejected };
      records = [];
      rejected = [];
      notARecord = 0;
      smiles = new Set();
      if (received.has(no)) {
        skipped++;
        return;
      }
      // Two batches in flight: the next is read and validated while the server writes this one.
      while (inFlight.size >= 2) await Promise.race(inFlight);
      const p = api("POST", `/imports/${job.id}/batches`, body).then(() => {
        sent++;
        inFlight.delete(p);
      });
      inFlight.add(p);
      p.catch(() => {}); // awaited below
    };
    bytesRead = 0;
    try {
      for await (
        const o of readOutcomes(await fileStream(), format!, ctx, {
          onRow: (n) => {
            if (n > maxRows) throw new SliceEnd();
            rows = n;
            if (n % 500 === 0) progress(n);
          },
        })
      ) {
        if (o.kind === "record") {
          records.push(o.record);
          if (o.record.substance.kind === "structure") smiles.add(o.record.substance.smiles);
        } else if (o.kind === "rejected") rejected.push({ row: o.row, field: o.field, reason: o.reason });
        else notARecord++;
        // A batch closes at --batch records (empty cells cost nothing and ride along) or MAX_STRUCTURES
        // distinct SMILES (the function recomputes each).
        if (records.length + rejected.length >= batchUnits || smiles.size >= MAX_STRUCTURES) await flush();
      }
    } catch (e) {
      if (!(e instanceof SliceEnd)) throw e;
    }
    if (records.length || rejected.length || notARecord) await flush();
    await Promise.all(inFlight);
    return batchNo;
  };

  // Commit names how many batches were made; the job must hold all of them. A batch the server acknowledged
  // but lost (a crash before the commit was durable) is then sent again: up to 3 more passes.
  let total = await pass(new Set<number>(job.received_batches));
  let committed;
  for (let round = 0;; round++) {
    status = "committing";
    progress(rows);
    try {
      committed = await api("POST", `/imports/${job.id}/commit`, { batches: total });
      break;
    } catch (e) {
      if (
        !(e instanceof Refused && (e.body as { error?: { code?: string } })?.error?.code === "MISSING_BATCHES") ||
        round >= 3
      ) throw e;
      const again = await api("POST", "/imports", {
        format,
        file_name: path.split("/").pop()!.slice(0, 255),
        file_sha256: sha,
        target_visibility: values.visibility,
      });
      status = "resending missing batches";
      total = await pass(new Set<number>(again.body.job.received_batches));
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!quiet) {
    bar.update(size, { rows, status: "committed" });
    bar.stop();
  }
  const j = committed.body.job;
  console.log(JSON.stringify(
    {
      file: path,
      format,
      job_id: j.id,
      resumed,
      status: j.status,
      rows,
      units: j.units_seen,
      buckets: { imported: j.imported, duplicate: j.duplicate, rejected: j.rejected, not_a_record: j.not_a_record },
      conflict_groups: j.conflict_groups,
      batches: { total, sent, skipped_already_received: skipped },
      retries,
      summary_refreshed: committed.body.summary_refreshed,
      seconds: Number(seconds.toFixed(3)),
      rows_per_second: Math.round(rows / seconds),
      units_per_second: Math.round(j.units_seen / seconds),
    },
    null,
    2,
  ));
} catch (e) {
  if (!quiet) bar.stop();
  if (e instanceof Refused) fail(`${path}: refused: ${e.message}`, 1);
  const err = e as Error & { code?: string };
  if (err.code === "WRONG_HEADER" || err.code === "TOO_LARGE") fail(`${path}: ${err.code}: ${err.message}`, 1);
  fail(`${path}: gave up: ${err.message}`, 3);
}
