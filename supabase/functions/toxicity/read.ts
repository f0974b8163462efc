// Read routes of the toxicity function (issue 11), relative to /functions/v1/toxicity:
//   GET  /molecules/{ref}   profile of a molecule named by id (uuid), InChIKey or CAS: identity, identifiers,
//                           summary, records (keyset-paged, filterable), sources with citations
//   POST /lookup            up to 1,000 mixed identifiers, each answered in input order (found / unknown /
//                           ambiguous / invalid); JSON, or CSV (streamed) with Accept: text/csv
//   GET  /search?q=         name, synonym and identifier-prefix search, ranked, for search boxes
//   GET  /metrics           Prometheus text of this isolate (pool, cache hits and misses): metrics:read
// Every query runs as the caller (queryAs with the verified claims), through the security-invoker functions
// of migration 20261130090000_toxicity_read.sql, so row-level security decides what each caller reads.
// Service clients need the scope toxicity:read (and molecules:read to see molecules at all: the molecules
// table is its own resource). Shapes: schemas.ts; caching: cache.ts; docs/toxicity-api.md.
import { type Context, Hono } from "hono";
import { stringify } from "csv-stringify";
import { once } from "node:events";
import { z } from "zod";
import { type Principal, principalOf, requestIdOf, requireScope } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { registry } from "../_shared/metrics.ts";
import { validate } from "../_shared/validation.ts";
import { etagOf, readSetOf, ToxicityCache } from "./cache.ts";
import type { RouteDoc } from "./route-docs.ts";
import {
  classify,
  ErrorBody,
  LOOKUP_CSV_COLUMNS,
  LookupBody,
  LookupResponse,
  type LookupResult,
  ProfileParams,
  ProfileQuery,
  ProfileResponse,
  SearchQuery,
  SearchResponse,
} from "./schemas.ts";

/** What the read routes need: the isolate's database (called per request) and the isolate's cache. */
export type ReadDeps = { database: () => Database; cache?: ToxicityCache };

const NoParams = z.strictObject({});

/** Service clients must hold toxicity:read (or toxicity:write); users and anon: row-level security decides. */
function reader(c: Context): Principal {
  const p = principalOf(c);
  if (p.kind === "service") requireScope(p, "toxicity:read");
  return p;
}

/** The request asked to skip cached answers (Cache-Control: no-cache or no-store; Pragma: no-cache). */
function bypass(c: Context): boolean {
  return /\bno-(cache|store)\b/i.test(`${c.req.header("cache-control") ?? ""} ${c.req.header("pragma") ?? ""}`);
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((t) => {
    const v = t.trim().replace(/^W\//, "");
    return v === "*" || v === etag;
  });
}

/**
 * A JSON text answer of a GET (X-Cache: HIT when it came from the isolate's cache), with its ETag (per caller: the read set is part of it), 304 on a matching
 * If-None-Match, and headers that keep shared caches out: private, revalidate every time, Vary: Authorization.
 */
function sendJson(c: Context, readSet: string, body: string, hit: boolean): Response {
  const etag = etagOf(readSet, body);
  c.header("X-Cache", hit ? "HIT" : "MISS");
  c.header("Cache-Control", "private, no-cache");
  c.header("Vary", "Authorization", { append: true });
  c.header("ETag", etag);
  if (ifNoneMatch(c.req.header("if-none-match"), etag)) return c.body(null, 304);
  c.header("Content-Type", "application/json; charset=utf-8");
  return c.body(body, 200);
}

/** The molecule a profile path names: a uuid, an InChIKey or a CAS number (check digit verified). */
function profileRef(ref: string): { kind: "id" | "inchikey" | "cas"; value: string } {
  const k = classify(ref);
  if (k.ok && (k.kind === "id" || k.kind === "inchikey" || k.kind === "cas")) return { kind: k.kind, value: k.value };
  const why = !k.ok && k.kind === "cas" ? `: ${k.reason}` : "";
  throw new ApiError(
    400,
    "INVALID_INPUT",
    `a profile is named by a molecule id (uuid), an InChIKey or a CAS number${why}`,
    [
      { target: "param", path: "ref", message: `must be a uuid, an InChIKey or a CAS number${why}` },
    ],
  );
}

/** Keyset cursor of the records page: the last (value_type, id) served, as base64url JSON. */
function encodeCursor(valueType: string, id: string): string {
  return btoa(JSON.stringify([valueType, id])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const Cursor = z.tuple([z.string().min(1).max(20), z.string().regex(/^[0-9a-f-]{36}$/)]);

function decodeCursor(cursor: string | undefined): [string, string] | null {
  if (cursor === undefined) return null;
  try {
    const parsed = Cursor.safeParse(JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))));
    if (parsed.success) return parsed.data;
  } catch { /* falls through */ }
  throw new ApiError(400, "INVALID_CURSOR", "the cursor is not one this API gave out (use next_cursor as is)", [
    { target: "query", path: "cursor", message: "must be a next_cursor value" },
  ]);
}

/** Spreadsheet formula injection: a text cell that a spreadsheet would evaluate is prefixed with '. */
function cell(v: unknown): unknown {
  if (typeof v !== "string") return v;
  return /^[=+\-@\t\r]/.test(v) && !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v) ? `'${v}` : v;
}

/** The CSV rows of one lookup result: one per record, or one without a value. */
function* csvRows(r: LookupResult): Generator<unknown[]> {
  const m = r.molecule;
  const base = {
    index: r.index,
    input: r.input,
    kind: r.kind,
    status: r.status,
    reason: r.reason ?? null,
    molecule_id: m?.id ?? null,
    molecule_name: m?.name ?? null,
    inchikey: m?.inchikey ?? null,
    cas: m?.cas ?? null,
  } as Record<string, unknown>;
  const recs = r.records ?? [];
  if (recs.length === 0) {
    yield LOOKUP_CSV_COLUMNS.map((k) => cell(base[k] ?? null));
    return;
  }
  for (const rec of recs) {
    const row = { ...base, ...rec } as Record<string, unknown>;
    yield LOOKUP_CSV_COLUMNS.map((k) => cell(row[k] ?? null));
  }
}

/** The lookup's results as a streamed CSV body (csv-stringify), header first, in input order. */
function csvStream(results: LookupResult[]): ReadableStream<Uint8Array> {
  const s = stringify({
    header: true,
    columns: [...LOOKUP_CSV_COLUMNS],
    cast: { boolean: (b) => (b ? "true" : "false") },
  });
  (async () => {
    try {
      for (const r of results) {
        for (const row of csvRows(r)) {
          if (!s.write(row)) await once(s, "drain");
        }
      }
      s.end();
    } catch (e) {
      s.destroy(e as Error);
    }
  })();
  return ReadableStream.from(s as AsyncIterable<Uint8Array>);
}

function wantsCsv(c: Context): boolean {
  const accept = c.req.header("accept") ?? "";
  return /\btext\/csv\b/i.test(accept) || c.req.query("format") === "csv";
}

/** The routes (relative to /toxicity). */
export function readRoutes(
  { database, cache = new ToxicityCache({ max: 0, maxBytes: 1, ttlMs: 1000, versionTtlMs: 0 }) }: ReadDeps,
): Hono {
  const app = new Hono();

  app.get("/molecules/:ref", validate("param", ProfileParams), validate("query", ProfileQuery), async (c) => {
    const p = reader(c);
    const ref = profileRef(c.req.valid("param").ref);
    const q = c.req.valid("query");
    const after = decodeCursor(q.cursor);
    const readSet = readSetOf(p);
    const key = `profile\n${JSON.stringify([ref.kind, ref.value, q])}`;
    const cached = cache.get("profile", readSet, key, bypass(c));
    if (cached !== undefined) return sendJson(c, readSet, cached, true);

    const items = JSON.stringify([[ref.kind, ref.value]]);
    const [[version], idRows, summaryRows, recordRows, sourceRows] = await database().queryAs<
      [{ v: string }[], { j: any }[], { j: any }[], { vt: string; id: string; j: any }[], { j: any }[]]
    >(
      p.claims,
      (tx) => [
        // First: the data below is at least as new as this version (read committed: a later snapshot).
        tx`select private.toxicity_read_version()::text as v`,
        tx`select jsonb_build_object(
             'id', m.id, 'name', m.name, 'inchikey', m.inchikey, 'cas', m.cas, 'pubchem_cid', m.pubchem_cid,
             'kind', m.kind, 'visibility', m.visibility, 'team_id', m.team_id, 'synonyms', m.synonyms,
             'smiles', m.smiles, 'inchi', m.inchi, 'formula', m.formula, 'molecular_weight', m.molecular_weight,
             'identifiers', coalesce((select jsonb_agg(jsonb_build_object('kind', i.kind, 'value', i.value, 'source', i.source)
                                              order by i.kind, i.value)
                                      from public.molecule_identifiers i where i.molecule_id = m.id), '[]'::jsonb)) as j
           from public.molecules m
           where m.id in (select r.molecule_id from private.toxicity_resolve(${items}::text::jsonb) r)
           order by m.name, m.id
           limit 6`,
        tx`select to_jsonb(s) - 'molecule_id' as j
           from private.read_toxicity_summary(array(select r.molecule_id from private.toxicity_resolve(${items}::text::jsonb) r limit 1)) s
           order by s.team_id nulls first`,
        tx`select t.value_type::text as vt, t.id::text as id, jsonb_build_object(
             'id', t.id, 'value_type', t.value_type, 'qualifier', t.qualifier, 'value', t.value, 'unit', t.unit,
             'raw_qualifier', t.raw_qualifier, 'raw_value', t.raw_value, 'raw_unit', t.raw_unit,
             'species', t.species, 'route', t.route, 'duration', t.duration, 'sex', t.sex,
             'endpoint', e.code, 'assay', a.source_assay_id, 'assay_name', a.name,
             'source', s.name, 'citation', coalesce(t.citation, s.citation), 'url', coalesce(t.url, s.url),
             'molecule_match', t.molecule_match, 'visibility', t.visibility, 'team_id', t.team_id) as j
           from public.toxicity_records t
           left join public.toxicity_sources s on s.id = t.source_id
           left join public.toxicity_endpoints e on e.id = t.endpoint_id
           left join public.toxicity_assays a on a.id = t.assay_id
           where t.molecule_id = (select r.molecule_id from private.toxicity_resolve(${items}::text::jsonb) r limit 1)
             and (${q.value_type ?? null}::text is null or t.value_type = ${q.value_type ?? null}::text)
             and (${q.endpoint ?? null}::text is null or e.code = ${q.endpoint ?? null}::text)
             and (${q.assay ?? null}::text is null or a.source_assay_id = ${q.assay ?? null}::text)
             and (${q.species ?? null}::text is null or t.species = ${q.species ?? null}::text)
             and (${q.route ?? null}::text is null or t.route = ${q.route ?? null}::text)
             and (${q.source ?? null}::text is null or s.name = ${q.source ?? null}::text)
             and (${after?.[0] ?? null}::text is null
                  or (t.value_type::text, t.id) > (${after?.[0] ?? null}::text, ${after?.[1] ?? null}::uuid))
           order by t.value_type, t.id
           limit ${q.limit + 1}::int`,
        tx`select jsonb_build_object('name', s.name, 'title', s.title, 'version', s.version, 'url', s.url,
                                     'citation', s.citation, 'licence', s.licence, 'record_count', count(*)) as j
           from public.toxicity_records t
           join public.toxicity_sources s on s.id = t.source_id
           where t.molecule_id = (select r.molecule_id from private.toxicity_resolve(${items}::text::jsonb) r limit 1)
           group by s.id
           order by s.name`,
      ],
      { readOnly: true, requestId: requestIdOf(c) },
    );
    if (idRows.length === 0) {
      throw new ApiError(404, "NOT_FOUND", `no molecule you can read has this ${ref.kind === "id" ? "id" : ref.kind}`);
    }
    if (idRows.length > 1) {
      const candidates = idRows.map((r) => {
        const { id, name, inchikey, cas, visibility, team_id } = r.j;
        return { id, name, inchikey, cas, visibility, team_id };
      });
      throw new ApiError(
        409,
        "AMBIGUOUS",
        `this ${ref.kind} names ${idRows.length} molecules you can read: use an id`,
        {
          candidates,
        },
      );
    }
    const page = recordRows.slice(0, q.limit);
    const last = page.at(-1);
    const profile = {
      molecule: idRows[0].j,
      summary: summaryRows.map((r) => r.j),
      records: {
        items: page.map((r) => r.j),
        next_cursor: recordRows.length > q.limit && last ? encodeCursor(last.vt, last.id) : null,
      },
      sources: sourceRows.map((r) => r.j),
    };
    const body = JSON.stringify(profile);
    cache.set(readSet, key, version.v, body);
    cache.confirm(readSet, version.v);
    return sendJson(c, readSet, body, false);
  });

  app.post("/lookup", validate("json", LookupBody), async (c) => {
    const p = reader(c);
    const body = c.req.valid("json");
    const readSet = readSetOf(p);
    const opts = JSON.stringify([body.value_types ?? null, body.records_per_identifier]);
    const skip = bypass(c);
    const results: LookupResult[] = new Array(body.identifiers.length);
    let hits = 0;
    // Identifiers to ask the database about, each once however often it was sent: "kind\nvalue" → positions.
    const pending = new Map<string, { kind: string; value: string; at: number[] }>();
    body.identifiers.forEach((input, index) => {
      const k = classify(input);
      const shown = typeof input === "string" ? input : input.value;
      if (!k.ok) {
        results[index] = { index, input: shown, kind: k.kind, status: "invalid", reason: k.reason };
        return;
      }
      // Names match case-insensitively: one cache entry and one query for "DMSO" and "dmso".
      const id = `${k.kind}\n${k.kind === "name" ? k.value.toLowerCase() : k.value}`;
      const hit = cache.get("lookup", readSet, `lookup\n${id}\n${opts}`, skip);
      if (hit !== undefined) {
        hits++;
        results[index] = { index, input: shown, kind: k.kind, ...JSON.parse(hit) };
        return;
      }
      const seen = pending.get(id);
      if (seen) seen.at.push(index);
      else pending.set(id, { kind: k.kind, value: k.value, at: [index] });
    });

    if (pending.size > 0) {
      const keys = [...pending.keys()];
      const items = JSON.stringify([...pending.values()].map((p) => [p.kind, p.value]));
      const types = body.value_types ? JSON.stringify(body.value_types) : null;
      const [[version], rows] = await database().queryAs<
        [{ v: string }[], { ord: number; matches: any[]; summary: any[]; records: any[]; more_records: boolean }[]]
      >(
        p.claims,
        (tx) => [
          tx`select private.toxicity_read_version()::text as v`,
          tx`select l.ord, l.matches, l.summary, l.records, l.more_records
             from private.toxicity_lookup(${items}::text::jsonb,
                    (select array_agg(x) from jsonb_array_elements_text(${types}::text::jsonb) x),
                    ${body.records_per_identifier}::int) l
             order by l.ord`,
        ],
        { readOnly: true, requestId: requestIdOf(c) },
      );
      for (const row of rows) {
        const id = keys[row.ord - 1];
        const kind = id.split("\n")[0];
        let answer: Omit<LookupResult, "index" | "input" | "kind">;
        if (row.matches.length === 0) {
          answer = { status: "unknown", reason: `no molecule you can read has this ${kind}` };
        } else if (row.matches.length > 1) {
          answer = {
            status: "ambiguous",
            reason: `names ${row.matches.length === 6 ? "6 or more" : row.matches.length} molecules you can read`,
            candidates: row.matches,
          };
        } else {
          answer = {
            status: "found",
            molecule: row.matches[0],
            summary: row.summary,
            records: row.records,
            more_records: row.more_records,
          };
        }
        cache.set(readSet, `lookup\n${id}\n${opts}`, version.v, JSON.stringify(answer));
        for (const index of pending.get(id)!.at) {
          const input = body.identifiers[index];
          results[index] = {
            index,
            input: typeof input === "string" ? input : input.value,
            kind: kind as LookupResult["kind"],
            ...answer,
          };
        }
      }
      cache.confirm(readSet, version.v);
    }

    // Identifiers answered from the cache / all of them (invalid ones never reach it).
    c.header("X-Cache-Hits", `${hits}/${body.identifiers.length}`);
    if (wantsCsv(c)) {
      return c.body(csvStream(results), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="toxicity-lookup.csv"',
        "Cache-Control": "private, no-store",
      });
    }
    const counts = { found: 0, unknown: 0, ambiguous: 0, invalid: 0 };
    for (const r of results) counts[r.status]++;
    c.header("Cache-Control", "private, no-store");
    return c.json({ results, counts });
  });

  app.get("/search", validate("query", SearchQuery), async (c) => {
    const p = reader(c);
    const { q, limit } = c.req.valid("query");
    const readSet = readSetOf(p);
    const key = `search\n${q.toLowerCase()}\n${limit}`;
    const cached = cache.get("search", readSet, key, bypass(c));
    if (cached !== undefined) return sendJson(c, readSet, cached, true);
    const [[version], rows] = await database().queryAs<[{ v: string }[], { j: any }[]]>(
      p.claims,
      (tx) => [
        tx`select private.toxicity_read_version()::text as v`,
        tx`select jsonb_build_object('id', s.id, 'name', s.name, 'synonyms', s.synonyms, 'inchikey', s.inchikey,
                                     'cas', s.cas, 'pubchem_cid', s.pubchem_cid, 'visibility', s.visibility,
                                     'team_id', s.team_id,
                                     'matched', jsonb_build_object('field', s.matched_field, 'value', s.matched_value),
                                     'rank', round(s.rank::numeric, 3), 'has_records', s.has_records) as j
           from private.toxicity_search(${q}, ${limit}::int) s`,
      ],
      { readOnly: true, requestId: requestIdOf(c) },
    );
    const body = JSON.stringify({ q, items: rows.map((r) => r.j) });
    cache.set(readSet, key, version.v, body);
    cache.confirm(readSet, version.v);
    return sendJson(c, readSet, body, false);
  });

  app.get("/metrics", validate("query", NoParams), async (c) => {
    requireScope(principalOf(c), "metrics:read");
    database(); // registers the pool gauges before the first query
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  });

  return app;
}

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((s) => [s, {
      description: {
        400: "INVALID_INPUT (a reason per problem in details), INVALID_CURSOR",
        401: "invalid_token: the bearer token is not valid",
        403: "insufficient_scope: a service token without toxicity:read",
        404: "NOT_FOUND: no molecule the caller can read has this identifier",
        409: "AMBIGUOUS: the identifier names more than one molecule the caller can read (details.candidates)",
        429: "RATE_LIMITED",
        503: "DB_UNAVAILABLE and the other retryable database errors (Retry-After)",
      }[s] ?? "error",
      content: { "application/json": ErrorBody },
    }]),
  );

export const READ_ROUTE_DOCS: RouteDoc[] = [
  {
    method: "get",
    path: "/molecules/{ref}",
    summary: "Toxicity profile of a molecule",
    description:
      "Identity and identifiers, the precomputed summary (one row per owner the caller may read), the records (keyset-paged: pass next_cursor as cursor; filters combine), and the sources with citations. ETag / If-None-Match → 304.",
    scopes: ["toxicity:read"],
    params: ProfileParams,
    query: ProfileQuery,
    responses: {
      200: { description: "the profile", content: { "application/json": ProfileResponse } },
      304: { description: "not modified (If-None-Match matched the ETag)" },
      ...errors(400, 401, 403, 404, 409, 429, 503),
    },
  },
  {
    method: "post",
    path: "/lookup",
    summary: "Batch lookup of up to 1,000 identifiers",
    description:
      "Each identifier is answered at its position: found (molecule, summary, records), unknown, ambiguous (candidates) or invalid (reason). One database round trip. With Accept: text/csv (or ?format=csv) the same as CSV, streamed: one row per identifier and record.",
    scopes: ["toxicity:read"],
    body: { "application/json": LookupBody },
    responses: {
      200: {
        description: "one result per identifier, in input order",
        content: { "application/json": LookupResponse, "text/csv": { type: "string" } },
      },
      ...errors(400, 401, 403, 429, 503),
    },
  },
  {
    method: "get",
    path: "/search",
    summary: "Search molecules by name, synonym or identifier prefix",
    description: "Ranked best first; for search boxes. ETag / If-None-Match → 304.",
    scopes: ["toxicity:read"],
    query: SearchQuery,
    responses: {
      200: { description: "the matches", content: { "application/json": SearchResponse } },
      304: { description: "not modified" },
      ...errors(400, 401, 403, 429, 503),
    },
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics of this isolate (database pool, cache hits and misses)",
    scopes: ["metrics:read"],
    query: NoParams,
    responses: {
      200: { description: "Prometheus text", content: { "text/plain": { type: "string" } } },
      ...errors(401, 403),
    },
  },
];
