// Import routes of the toxicity function (issue 10), relative to /toxicity:
//   POST /imports                 start or resume a job (JSON: format, file digest, target visibility) → 201 new /
//                                 200 resumed, with the batch numbers already received; or a small direct upload
//                                 (a CSV / NDJSON / JSON-array body, ?format=…): one request = one committed job,
//                                 all or nothing (any rejected unit → 422, nothing written)
//   POST /imports/{id}/batches    one batch (batch_no, records in the `cryoprotect` shape, rejected units, empty
//                                 cells): verified here (structures recomputed with RDKit, values re-normalized),
//                                 written in one transaction; replaying a batch changes nothing
//   POST /imports/{id}/commit     commit: status committed, data version +1, the summary refreshed
//   GET  /imports/{id}            counts, status and the first `errors` rejected units
// Writing needs a service token with toxicity:import (403 otherwise); a job of another team is 404. Errors are
// `{error:{code,message,details}}` (_shared/errors.ts). Limits (docs/toxicity-import.md): a batch ≤ 5,000 records
// and ≤ 1,000 distinct SMILES, ≤ 8 MB of JSON; a direct upload ≤ 1 MB sent, ≤ 8 MB inflated, ≤ 5,000 units.
import { createHash } from "node:crypto";
import { Hono } from "hono";
import { z } from "zod";
import { principalOf, requestIdOf, requireScope } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { FORMATS, readOutcomes } from "../_shared/toxicity/formats.ts";
import type { ReaderContext } from "../_shared/toxicity/readers/common.ts";
import { verifyRecord } from "../_shared/toxicity/readers/cryoprotect.ts";
import { ToxicityRecord } from "../_shared/toxicity/record.ts";
import { TooLargeError } from "../_shared/toxicity/stream.ts";
import { computeStructure, rdkit, type Structure, type StructureFailure } from "../_shared/toxicity/structures.ts";
import { importError, rejectionCode, toDbRecord } from "./import-db.ts";
import type { RouteDoc } from "./route-docs.ts";

/** What the import routes need: the isolate's database (called per request). */
export type ImportDeps = { database: () => Database };

export const LIMITS = {
  batchRecords: 5000,
  batchStructures: 1000,
  batchBytes: 8 * 1024 * 1024,
  startBytes: 16 * 1024,
  directBytes: 1024 * 1024,
  directInflatedBytes: 8 * 1024 * 1024,
  directUnits: 5000,
  errorsListed: 100,
} as const;

/** The data set a format's file comes from (a `cryoprotect` file names its own). */
const FORMAT_SOURCE: Record<string, string> = {
  "tox21": "tox21",
  "toxcast": "toxcast",
  "ld50-zhu": "ld50-zhu",
  "niehs-ice": "niehs-ice",
};

// --- Schemas (validation and the OpenAPI document) ---

const Uuid = z.string().uuid();
export const JobParams = z.object({ id: z.string() });

export const StartImport = z.strictObject({
  format: z.enum(FORMATS),
  /** The data set; defaults to the format's (tox21, toxcast, ld50-zhu, niehs-ice); required for cryoprotect. */
  source: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/).optional(),
  file_name: z.string().min(1).max(255).optional(),
  /** sha256 of the file's bytes as read: the same file resumes the same open job. */
  file_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  target_visibility: z.enum(["public", "team"]).default("team"),
});

export const RejectedUnit = z.strictObject({
  row: z.number().int().positive(),
  field: z.string().min(1).max(200),
  reason: z.string().min(1).max(1000),
  code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/).optional(),
});

export const Batch = z.strictObject({
  batch_no: z.number().int().min(0).max(10_000_000),
  /** Empty matrix cells of the batch's rows: "not tested", never a 0. */
  not_a_record: z.number().int().min(0).default(0),
  records: z.array(ToxicityRecord).max(LIMITS.batchRecords).default([]),
  /** Units the client's reader rejected (an unparseable SMILES, a malformed row). */
  rejected: z.array(RejectedUnit).max(LIMITS.batchRecords).default([]),
});

export const DirectQuery = z.strictObject({
  format: z.enum(FORMATS),
  source: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/).optional(),
  visibility: z.enum(["public", "team"]).default("team"),
  file_name: z.string().min(1).max(255).optional(),
});

/** The commit's body (optional): how many batches (0 … n-1) the client sent; the job must hold exactly those. */
export const CommitBody = z.strictObject({ batches: z.number().int().min(0).max(10_000_000).optional() });

export const StatusQuery = z.strictObject({
  errors: z.coerce.number().int().min(0).max(1000).default(LIMITS.errorsListed),
});

export const Job = z.object({
  id: Uuid,
  source: z.string(),
  format: z.enum(FORMATS),
  file_name: z.string().nullable(),
  file_sha256: z.string().nullable(),
  target_visibility: z.enum(["public", "team"]),
  status: z.enum(["open", "committed", "failed", "aborted"]),
  batches_received: z.number().int(),
  units_seen: z.number().int(),
  imported: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
  not_a_record: z.number().int(),
  conflict_groups: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  committed_at: z.string().nullable(),
  last_batch_no: z.number().int().nullable(),
  received_batches: z.array(z.number().int()),
});
export const JobResponse = z.object({ job: Job });
export const BatchResponse = z.object({
  batch_no: z.number().int(),
  replayed: z.boolean(),
  units: z.number().int(),
  imported: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
  not_a_record: z.number().int(),
  job: Job,
});
export const CommitResponse = z.object({ job: Job, summary_refreshed: z.boolean() });
export const ImportErrorRow = z.object({
  row: z.number().int(),
  field: z.string().nullable(),
  code: z.string(),
  reason: z.string(),
});
export const StatusResponse = z.object({
  job: Job.omit({ received_batches: true, last_batch_no: true }),
  errors: z.array(ImportErrorRow),
});
export const RejectedResponse = z.object({
  error: z.object({ code: z.literal("ROWS_REJECTED"), message: z.string(), details: z.array(RejectedUnit) }),
});
const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

// --- Helpers ---

/** The request body, refused with 413 past `max` bytes (counted as they arrive, whatever Content-Length says). */
async function bodyBytes(req: Request, max: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > max) throw tooLarge(max);
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of req.body) {
    n += c.length;
    if (n > max) throw tooLarge(max);
    chunks.push(c);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) out.set(c, (o += c.length) - c.length);
  return out;
}

const tooLarge = (max: number) =>
  new ApiError(413, "TOO_LARGE", `the request body exceeds ${max} bytes`, { limit: max });

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ApiError(400, "INVALID_JSON", "the body is not JSON (UTF-8)");
  }
}

function check<S extends z.ZodType>(schema: S, value: unknown, target: string): z.infer<S> {
  const p = schema.safeParse(value);
  if (p.success) return p.data;
  const issues = p.error.issues.slice(0, 20).map((i) => ({
    target,
    path: i.path.map(String).join("."),
    message: i.message,
  }));
  throw new ApiError(
    400,
    "INVALID_INPUT",
    `invalid request: ${issues.map((i) => `${i.target}.${i.path}: ${i.message}`).join("; ")}`,
    issues,
  );
}

const jobId = (id: string) => {
  if (!Uuid.safeParse(id).success) throw new ApiError(404, "JOB_NOT_FOUND", "no such import job");
  return id;
};

// RDKit once per isolate; structures cached across requests (bounded: cleared past 50,000 SMILES).
let ctxPromise: Promise<ReaderContext> | null = null;
function structureContext(): Promise<ReaderContext> {
  ctxPromise ??= rdkit().then((R) => {
    const cache = new Map<string, Structure | StructureFailure>();
    return {
      structure: (smiles: string) => {
        let s = cache.get(smiles);
        if (!s) {
          if (cache.size >= 50_000) cache.clear();
          cache.set(smiles, s = computeStructure(R, smiles));
        }
        return s;
      },
    };
  });
  return ctxPromise;
}

type Claims = Record<string, unknown> & { role: string };
type Rejected = z.infer<typeof RejectedUnit>;

/** The routes (relative to /toxicity) and their OpenAPI descriptions. */
export function importRoutes({ database }: ImportDeps): Hono {
  const app = new Hono();

  const call = async <T>(claims: Claims, build: Parameters<Database["queryAs"]>[1], requestId?: string): Promise<T> => {
    try {
      return await database().queryAs<T>(claims, build, { requestId, extended: true });
    } catch (e) {
      throw importError(e);
    }
  };

  async function start(claims: Claims, s: z.infer<typeof StartImport>, requestId?: string) {
    const source = s.source ?? FORMAT_SOURCE[s.format];
    if (!source) throw new ApiError(400, "INVALID_INPUT", "a cryoprotect import names its source");
    const [row] = await call<{ r: { created: boolean; job: unknown } }[]>(
      claims,
      (tx) =>
        tx`select private.toxicity_import_start(${s.format}, ${source}, ${
          s.file_name ?? null
        }, ${s.file_sha256}, ${s.target_visibility}) as r`,
      requestId,
    );
    return row.r;
  }

  /** Verifies `records` (RDKit, units) into staging rows and rejections. */
  async function verify(records: ToxicityRecord[], rejected: Rejected[]) {
    const distinct = new Set(records.flatMap((r) => r.substance.kind === "structure" ? [r.substance.smiles] : []));
    if (distinct.size > LIMITS.batchStructures) {
      throw new ApiError(
        413,
        "TOO_MANY_STRUCTURES",
        `a batch holds at most ${LIMITS.batchStructures} distinct SMILES`,
        {
          limit: LIMITS.batchStructures,
        },
      );
    }
    const ctx = distinct.size
      ? await structureContext()
      : { structure: () => ({ error: "no structure" }) } as ReaderContext;
    const rows = [];
    const rej = rejected.map((r) => ({ ...r, code: r.code ?? rejectionCode(r.field, r.reason) }));
    for (const rec of records) {
      const o = verifyRecord(rec, rec.source_row, ctx);
      if (o.kind === "record") rows.push(toDbRecord(o.record));
      else if (o.kind === "rejected") {
        rej.push({ row: o.row, field: o.field, reason: o.reason, code: rejectionCode(o.field, o.reason) });
      }
    }
    return { rows, rej };
  }

  app.post("/imports", async (c) => {
    const p = principalOf(c);
    requireScope(p, "toxicity:import");
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    const isStart = type === "application/json" && c.req.query("format") === undefined;
    if (isStart) {
      const s = check(StartImport, parseJson(await bodyBytes(c.req.raw, LIMITS.startBytes)), "json");
      const r = await start(p.claims, s, requestIdOf(c));
      return c.json({ job: r.job }, r.created ? 201 : 200);
    }
    // A small direct upload: the whole body is one job, all or nothing.
    const q = check(DirectQuery, c.req.query(), "query");
    if (
      !["text/csv", "application/x-ndjson", "application/json", "application/gzip", "application/octet-stream"]
        .includes(type)
    ) {
      throw new ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "send text/csv, application/x-ndjson or application/json (gzip allowed)",
      );
    }
    const bytes = await bodyBytes(c.req.raw, LIMITS.directBytes);
    const sha = createHash("sha256").update(bytes).digest("hex");
    let input: Uint8Array<ArrayBuffer> = bytes;
    if (type === "application/json" && q.format === "cryoprotect") {
      // A JSON array of records: the same lines as NDJSON.
      const arr = parseJson(bytes);
      if (!Array.isArray(arr)) {
        throw new ApiError(400, "INVALID_INPUT", "a JSON upload is an array of cryoprotect records");
      }
      input = new TextEncoder().encode(arr.map((x) => JSON.stringify(x)).join("\n"));
    }
    const ctx = await structureContext();
    const records: ToxicityRecord[] = [];
    const rejected: Rejected[] = [];
    let notARecord = 0;
    let units = 0;
    try {
      for await (
        const o of readOutcomes(new Blob([input as Uint8Array<ArrayBuffer>]).stream(), q.format, ctx, {
          maxBytes: LIMITS.directInflatedBytes,
        })
      ) {
        if (++units > LIMITS.directUnits) {
          throw new ApiError(
            413,
            "TOO_MANY_UNITS",
            `a direct upload holds at most ${LIMITS.directUnits} units; use batches`,
            {
              limit: LIMITS.directUnits,
            },
          );
        }
        if (o.kind === "record") records.push(o.record);
        else if (o.kind === "not_a_record") notARecord++;
        else rejected.push({ row: o.row, field: o.field, reason: o.reason, code: rejectionCode(o.field, o.reason) });
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (e instanceof TooLargeError) throw new ApiError(413, "TOO_LARGE", e.message, { limit: e.limit });
      const err = e as Error & { code?: string };
      if (err.code === "WRONG_HEADER") throw new ApiError(400, "WRONG_HEADER", err.message);
      throw new ApiError(
        400,
        "MALFORMED_INPUT",
        `the body cannot be read as ${q.format}: ${err.message.slice(0, 300)}`,
      );
    }
    if (units === 0) throw new ApiError(400, "EMPTY_UPLOAD", "the body holds no data rows");
    if (rejected.length) {
      throw new ApiError(
        422,
        "ROWS_REJECTED",
        `${rejected.length} unit(s) rejected; nothing was written`,
        rejected.slice(0, LIMITS.errorsListed),
      );
    }
    const source = q.source ?? FORMAT_SOURCE[q.format] ?? records[0]?.source;
    const rows = records.map(toDbRecord);
    const digest = createHash("sha256").update(JSON.stringify(rows)).digest("hex");
    // One transaction: start, the one batch, commit. Any database-side rejection (an identifier that does
    // not resolve) undoes the whole upload.
    const out = await (async () => {
      try {
        return await database().withClaims(p.claims, async (tx) => {
          const [s] = await tx`select private.toxicity_import_start(${q.format}, ${source ?? null}, ${
            q.file_name ?? null
          }, ${sha}, ${q.visibility}) as r`;
          const job = s.r.job as { id: string; status: string };
          if (job.status !== "open" || (s.r.job.received_batches as number[]).length) {
            throw new ApiError(409, "JOB_NOT_OPEN", "an import of this body is already under way");
          }
          const [b] =
            await tx`select private.toxicity_import_batch(${job.id}::uuid, 0, ${digest}, ${notARecord}::int, ${
              JSON.stringify(rows)
            }::text::jsonb, '[]'::jsonb) as r`;
          if (b.r.rejected > 0) {
            const errs = await tx`select source_row as row, field, code, reason from public.toxicity_import_errors
              where job_id = ${job.id}::uuid order by source_row, field limit ${LIMITS.errorsListed}`;
            throw new ApiError(422, "ROWS_REJECTED", `${b.r.rejected} unit(s) rejected; nothing was written`, errs);
          }
          const [cm] = await tx`select private.toxicity_import_commit(${job.id}::uuid, 1) as r`;
          return cm.r;
        }, { requestId: requestIdOf(c) });
      } catch (e) {
        throw importError(e);
      }
    })();
    const refreshed = await refresh(p.claims, requestIdOf(c));
    return c.json({ job: out, summary_refreshed: refreshed }, 201);
  });

  async function refresh(claims: Claims, requestId?: string): Promise<boolean> {
    try {
      await database().queryAs(claims, (tx) => tx`select private.toxicity_refresh_summary() as ms`, { requestId });
      return true;
    } catch {
      return false; // pg_cron refreshes it within 10 minutes; the commit itself stands
    }
  }

  app.post("/imports/:id/batches", async (c) => {
    const p = principalOf(c);
    requireScope(p, "toxicity:import");
    const id = jobId(c.req.param("id"));
    const bytes = await bodyBytes(c.req.raw, LIMITS.batchBytes);
    const raw = parseJson(bytes);
    if (raw && typeof raw === "object" && Array.isArray((raw as { records?: unknown }).records)) {
      const n = (raw as { records: unknown[] }).records.length;
      if (n > LIMITS.batchRecords) {
        throw new ApiError(413, "TOO_MANY_RECORDS", `a batch holds at most ${LIMITS.batchRecords} records`, {
          limit: LIMITS.batchRecords,
        });
      }
    }
    const b = check(Batch, raw, "json");
    const digest = createHash("sha256").update(JSON.stringify(b)).digest("hex");
    const { rows, rej } = await verify(b.records, b.rejected);
    const [row] = await call<{ r: unknown }[]>(
      p.claims,
      (tx) =>
        tx`select private.toxicity_import_batch(${id}::uuid, ${b.batch_no}::int, ${digest}, ${b.not_a_record}::int, ${
          JSON.stringify(rows)
        }::text::jsonb, ${JSON.stringify(rej)}::text::jsonb) as r`,
      requestIdOf(c),
    );
    return c.json(row.r as object, 200);
  });

  app.post("/imports/:id/commit", async (c) => {
    const p = principalOf(c);
    requireScope(p, "toxicity:import");
    const id = jobId(c.req.param("id"));
    const bytes = await bodyBytes(c.req.raw, LIMITS.startBytes);
    const body = check(CommitBody, bytes.length ? parseJson(bytes) : {}, "json");
    const [row] = await call<{ r: unknown }[]>(
      p.claims,
      (tx) => tx`select private.toxicity_import_commit(${id}::uuid, ${body.batches ?? null}::int) as r`,
      requestIdOf(c),
    );
    const refreshed = await refresh(p.claims, requestIdOf(c));
    return c.json({ job: row.r, summary_refreshed: refreshed }, 200);
  });

  app.get("/imports/:id", async (c) => {
    const p = principalOf(c);
    const id = jobId(c.req.param("id"));
    const q = check(StatusQuery, c.req.query(), "query");
    // Read through the row-level policies (import_log: the team, and its clients with toxicity:read/import).
    const [jobs, errors] = await call<[Record<string, unknown>[], Record<string, unknown>[]]>(
      p.claims,
      (tx) => [
        tx`select j.id, s.name as source, j.format, j.file_name, j.file_sha256, j.target_visibility, j.status,
             j.batches_received, j.units_seen, j.imported, j.duplicate, j.rejected, j.not_a_record, j.conflict_groups,
             j.created_at, j.updated_at, j.committed_at
           from public.toxicity_import_jobs j join public.toxicity_sources s on s.id = j.source_id where j.id = ${id}::uuid`,
        tx`select e.source_row as row, e.field, e.code, e.reason from public.toxicity_import_errors e
           where e.job_id = ${id}::uuid order by e.source_row, e.field limit ${q.errors}`,
      ],
      requestIdOf(c),
    );
    if (!jobs.length) throw new ApiError(404, "JOB_NOT_FOUND", "no such import job");
    const j = jobs[0];
    const num = (k: string) => Number(j[k]);
    return c.json({
      job: {
        ...j,
        units_seen: num("units_seen"),
        imported: num("imported"),
        duplicate: num("duplicate"),
        rejected: num("rejected"),
        not_a_record: num("not_a_record"),
        conflict_groups: num("conflict_groups"),
      },
      errors,
    }, 200);
  });

  return app;
}

const errors = (...codes: [number, string][]) =>
  Object.fromEntries(codes.map(([s, d]) => [s, { description: d, content: { "application/json": ErrorBody } }]));

export const IMPORT_ROUTE_DOCS: RouteDoc[] = [
  {
    method: "post",
    path: "/imports",
    summary: "Start or resume an import job, or upload a small file directly",
    description:
      "JSON {format, file_sha256, target_visibility} starts a job (201) or resumes the open job of the same " +
      "team, file and visibility (200, with received_batches). A CSV / NDJSON / JSON-array body with ?format= is a " +
      `direct upload of at most ${LIMITS.directUnits} units: one committed job, all or nothing (422 lists the rejected units).`,
    scopes: ["toxicity:import"],
    query: DirectQuery.partial(),
    body: {
      "application/json": StartImport,
      "text/csv": z.string(),
      "application/x-ndjson": z.string(),
    },
    responses: {
      200: { description: "The open job of this file, resumed", content: { "application/json": JobResponse } },
      201: { description: "A new job (or a committed direct upload)", content: { "application/json": JobResponse } },
      ...errors(
        [400, "Invalid request, wrong header, unknown source"],
        [403, "No toxicity:import scope, or public records from a non-curator team"],
        [409, "The job is not open"],
        [413, "Body, inflated body or units over the limits"],
        [415, "Unsupported media type"],
      ),
      422: {
        description: "Rejected units (direct upload); nothing written",
        content: { "application/json": RejectedResponse },
      },
    },
  },
  {
    method: "post",
    path: "/imports/{id}/batches",
    summary: "Send one batch of an import job",
    description:
      "One transaction; a replay of the same batch_no with the same content changes nothing (replayed: true).",
    scopes: ["toxicity:import"],
    params: JobParams,
    body: { "application/json": Batch },
    responses: {
      200: { description: "The batch's bucket counts and the job", content: { "application/json": BatchResponse } },
      ...errors(
        [400, "Invalid batch"],
        [403, "No toxicity:import scope"],
        [404, "No such job (or another team's)"],
        [409, "Job not open, or batch_no received with other content"],
        [413, "Too many records, structures or bytes"],
      ),
    },
  },
  {
    method: "post",
    path: "/imports/{id}/commit",
    summary: "Commit an import job",
    description:
      "With {batches: n}, only if the job holds exactly the batches 0 … n-1 (409 MISSING_BATCHES otherwise).",
    scopes: ["toxicity:import"],
    params: JobParams,
    body: { "application/json": CommitBody },
    responses: {
      200: { description: "The committed job", content: { "application/json": CommitResponse } },
      ...errors([403, "No toxicity:import scope"], [404, "No such job"], [409, "Job not open, or batches missing"]),
    },
  },
  {
    method: "get",
    path: "/imports/{id}",
    summary: "An import job's counts and first rejected units",
    scopes: ["toxicity:read", "toxicity:import"],
    params: JobParams,
    query: StatusQuery,
    responses: {
      200: { description: "The job and its first errors", content: { "application/json": StatusResponse } },
      ...errors([404, "No such job (or not readable)"]),
    },
  },
];
