#!/usr/bin/env node
// The plan of a statement as one caller of the API sees it (monitoring.explain_as, docs/monitoring.md):
//   npm run explain -- --as <email | service client name or id | anon> [options] "<sql>"
//     --claims '<json>'                 claims merged over the caller's (e.g. '{"scope": "molecules:read"}')
//     --json                            the raw EXPLAIN JSON instead of the tree
//     --no-analyze                      plan only, the statement is not run
//     --hypothetical-index "create index ..."   (repeatable) the plan without and with hypopg indexes (plan only)
//     --timeout <ms>                    statement_timeout of the EXPLAIN ANALYZE (default 30000)
//     --db-url <url>                    a database other than the local stack's (an admin URL: postgres or a
//                                       login with cryo_monitor); default: the stack of CRYO_STACK (dev)
// Every write of the statement is rolled back by the database. Exit codes: 0 plan printed, 1 database or
// lookup error, 2 bad arguments.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { stackConfig } from "./lib/config.mjs";

export const USAGE =
  `usage: npm run explain -- --as <email | service-client | anon> [--claims json] [--json] [--no-analyze]
                           [--hypothetical-index "create index ..."]... [--timeout ms] [--db-url url] "<sql>"`;

class UsageError extends Error {}

/** Helpers whose InitPlan is a policy's cost: `(select private.fn())`, `(select auth.uid())`. */
const POLICY_CALL = /\b(private|auth)\.([a-z_][a-z0-9_]*)\(/i;
/** The functions' statement values: `(select current_setting('cryo.pN')::type)`. */
const VALUE_CALL = /current_setting\('cryo\.p\d+'/;
const DETAIL_KEYS = [
  "Index Cond",
  "Recheck Cond",
  "Hash Cond",
  "Merge Cond",
  "Join Filter",
  "Filter",
  "One-Time Filter",
  "Rows Removed by Filter",
  "Rows Removed by Join Filter",
  "Rows Removed by Index Recheck",
  "Sort Key",
  "Group Key",
];

const ms = (v) => (v === undefined ? "?" : `${Number(v).toFixed(3)} ms`);

/** What the InitPlan `node` computes, when it is a policy helper or a statement value; else null. */
export function initPlanKind(node) {
  if (node["Parent Relationship"] !== "InitPlan") return null;
  const out = (node.Output ?? []).join(", ");
  const policy = out.match(POLICY_CALL);
  if (policy) return { kind: "policy", call: `${policy[1]}.${policy[2]}()` };
  if (VALUE_CALL.test(out)) return { kind: "value", call: out };
  return null;
}

/** One node's headline: type, relation/index, estimates, actuals, buffers. */
function headline(n) {
  let s = n["Node Type"] === "ModifyTable" && n.Operation ? n.Operation : n["Node Type"];
  if (n["Join Type"] && n["Join Type"] !== "Inner") s += ` (${n["Join Type"]})`;
  if (n["Relation Name"]) {
    s += ` on ${n.Schema ? `${n.Schema}.` : ""}${n["Relation Name"]}`;
    if (n.Alias && n.Alias !== n["Relation Name"]) s += ` ${n.Alias}`;
  }
  if (n["Index Name"]) {
    s += ` using ${n["Index Name"]}`;
    if (/^<\d+>/.test(n["Index Name"])) s += " (HYPOTHETICAL)";
  }
  s += `  (cost=${n["Startup Cost"]}..${n["Total Cost"]} rows=${n["Plan Rows"]})`;
  if (n["Actual Loops"] !== undefined) {
    s += n["Actual Loops"] === 0
      ? "  (never executed)"
      : `  (actual ${n["Actual Total Time"]} ms rows=${n["Actual Rows"]} loops=${n["Actual Loops"]})`;
  }
  const hit = n["Shared Hit Blocks"] ?? 0;
  const read = n["Shared Read Blocks"] ?? 0;
  if (hit || read) s += `  buffers hit=${hit}${read ? ` read=${read}` : ""}`;
  return s;
}

/**
 * The plan of EXPLAIN (FORMAT JSON) — an array of one object with Plan, Planning Time, Execution Time, Query
 * Identifier — as lines of a tree. InitPlans that call a policy helper (private.* / auth.*) are marked
 * `◆ policy` with their cost (estimated, and actual ms × loops when analysed); those that read a statement
 * value (cryo.pN) are marked `· value`. A summary line sums the policy InitPlans. Returns the text.
 */
export function renderPlan(explain) {
  const top = Array.isArray(explain) ? explain[0] : explain;
  if (!top?.Plan) throw new Error("not an EXPLAIN (FORMAT JSON) result");
  const lines = [];
  const policies = [];
  const walk = (n, prefix, last, isRoot) => {
    const branch = isRoot ? "" : last ? "└─ " : "├─ ";
    const inner = isRoot ? "" : last ? "   " : "│  ";
    const kind = initPlanKind(n);
    let head = headline(n);
    if (n["Subplan Name"]) head = `${n["Subplan Name"]}: ${head}`;
    if (kind?.kind === "policy") {
      const actual = n["Actual Loops"] ? `, actual ${n["Actual Total Time"]} ms × ${n["Actual Loops"]}` : "";
      head = `◆ policy ${kind.call} [cost ${n["Total Cost"]}${actual}] ${head}`;
      policies.push({
        call: kind.call,
        cost: n["Total Cost"],
        ms: (n["Actual Total Time"] ?? 0) * (n["Actual Loops"] ?? 0),
      });
    } else if (kind?.kind === "value") {
      head = `· value ${head}`;
    }
    lines.push(prefix + branch + head);
    const children = n.Plans ?? [];
    const detailPrefix = prefix + inner + (children.length ? "│ " : "  ");
    for (const k of DETAIL_KEYS) {
      const v = n[k];
      if (v === undefined || v === 0 || (Array.isArray(v) && !v.length)) continue;
      lines.push(`${detailPrefix}${k}: ${Array.isArray(v) ? v.join(", ") : v}`);
    }
    children.forEach((child, i) => walk(child, prefix + inner, i === children.length - 1, false));
  };
  walk(top.Plan, "", true, true);
  const foot = [];
  if (top["Planning Time"] !== undefined) foot.push(`planning ${ms(top["Planning Time"])}`);
  if (top["Execution Time"] !== undefined) foot.push(`execution ${ms(top["Execution Time"])}`);
  if (top["Query Identifier"] !== undefined) foot.push(`queryid ${top["Query Identifier"]}`);
  lines.push("", foot.join(" · "));
  if (policies.length) {
    const cost = policies.reduce((a, p) => a + Number(p.cost), 0);
    const spent = policies.reduce((a, p) => a + p.ms, 0);
    lines.push(
      `policy InitPlans: ${policies.length} (${[...new Set(policies.map((p) => p.call))].join(", ")}), cost ${
        cost.toFixed(2)
      }${top["Execution Time"] !== undefined ? `, ${spent.toFixed(3)} ms of ${ms(top["Execution Time"])}` : ""}`,
    );
  } else {
    lines.push("policy InitPlans: none");
  }
  return lines.join("\n");
}

/** EXPLAIN JSON text parsed, the 64-bit Query Identifier kept exact (as a string). */
export function parsePlanText(text) {
  return JSON.parse(text.replace(/("Query Identifier": )(-?\d+)/g, '$1"$2"'));
}

/** The role and claims of `who`: "anon", an e-mail of auth.users, or a service client's name or id. */
async function caller(sql, who) {
  if (who === "anon") return { role: "anon", claims: {}, label: "anon" };
  const now = Math.floor(Date.now() / 1000);
  if (who.includes("@")) {
    const [u] = await sql`select id, email, coalesce(phone, '') as phone, is_anonymous, raw_app_meta_data
                          from auth.users where email = lower(${who})`;
    if (!u) throw new Error(`no user with email ${who}`);
    // Shaped like a Supabase Auth access token (scripts/token.mjs).
    return {
      role: "authenticated",
      label: `${u.email} (authenticated, sub ${u.id})`,
      claims: {
        aud: "authenticated",
        sub: u.id,
        email: u.email,
        phone: u.phone,
        role: "authenticated",
        aal: "aal1",
        session_id: randomUUID(),
        is_anonymous: u.is_anonymous ?? false,
        app_metadata: u.raw_app_meta_data ?? {},
        user_metadata: {},
        iat: now,
        exp: now + 3600,
      },
    };
  }
  const rows = await sql`select client_id, team_id, allowed_scopes from private.service_clients
                         where client_id = ${who} or name = ${who} order by created_at`;
  if (!rows.length) throw new Error(`no user e-mail or service client named ${who} (or say anon)`);
  if (rows.length > 1) {
    throw new Error(
      `${rows.length} service clients are named ${who}: give a client_id (${rows.map((r) => r.client_id).join(", ")})`,
    );
  }
  const [s] = rows;
  // Shaped like the service-token function's tokens (RFC 9068 claims).
  return {
    role: "cryo_service",
    label: `service client ${s.client_id} (cryo_service, team ${s.team_id})`,
    claims: {
      sub: s.client_id,
      client_id: s.client_id,
      scope: s.allowed_scopes.join(" "),
      team_id: s.team_id,
      role: "cryo_service",
      jti: randomUUID(),
      iat: now,
      exp: now + 600,
    },
  };
}

function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        as: { type: "string" },
        claims: { type: "string" },
        json: { type: "boolean", default: false },
        "no-analyze": { type: "boolean", default: false },
        "hypothetical-index": { type: "string", multiple: true, default: [] },
        timeout: { type: "string", default: "30000" },
        "db-url": { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const { values, positionals } = parsed;
  if (!values.as) throw new UsageError("--as is required");
  if (positionals.length !== 1 || !positionals[0].trim()) {
    throw new UsageError("give exactly one SQL statement, quoted");
  }
  let extra = {};
  if (values.claims !== undefined) {
    try {
      extra = JSON.parse(values.claims);
    } catch (e) {
      throw new UsageError(`--claims is not JSON: ${e.message}`);
    }
    if (!extra || typeof extra !== "object" || Array.isArray(extra)) {
      throw new UsageError("--claims must be a JSON object");
    }
  }
  const timeout = Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 300000) {
    throw new UsageError("--timeout is milliseconds, 1 to 300000");
  }
  return { ...values, extra, timeout, sql: positionals[0] };
}

/**
 * Runs one explain (argv as after `npm run explain --`); returns { code, out, err }: the text to print on
 * stdout (tree, or JSON with --json) and stderr. Never throws for bad input or database errors.
 */
export async function run(argv, { dbUrl } = {}) {
  let o;
  try {
    o = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, out: "", err: `${e.message}\n${USAGE}` };
    throw e;
  }
  const url = o["db-url"] ?? dbUrl ?? stackConfig().dbUrl;
  const sql = postgres(url, {
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: "cryo-explain" },
  });
  try {
    const who = await caller(sql, o.as);
    const claims = { ...who.claims, ...o.extra };
    const hypothetical = o["hypothetical-index"];
    const result = await sql.begin(async (tx) => {
      // A statement of its own: Postgres arms statement_timeout when a statement starts.
      await tx`select pg_catalog.set_config('statement_timeout', ${String(o.timeout)}, true)`;
      if (hypothetical.length) {
        const [r] = await tx`select monitoring.explain_hypothetical(${who.role}, ${
          JSON.stringify(claims)
        }::text::jsonb, ${o.sql},
                                                                    ${tx.array(hypothetical)}::text[])::text as plan`;
        return parsePlanText(r.plan);
      }
      const [r] = await tx`select monitoring.explain_as(${who.role}, ${
        JSON.stringify(claims)
      }::text::jsonb, ${o.sql}, ${!o["no-analyze"]})::text as plan`;
      return parsePlanText(r.plan);
    });
    if (o.json) return { code: 0, out: JSON.stringify(result, null, 2), err: "" };
    const head = `as ${who.label}${
      o["no-analyze"] || hypothetical.length ? " (plan only, not run)" : " (run and rolled back)"
    }`;
    if (hypothetical.length) {
      const made = result.indexes.map((i) => `  ${i.indexname}: ${i.definition}`).join("\n");
      return {
        code: 0,
        out: `${head}\n\n== without\n${renderPlan(result.before)}\n\n== with hypothetical indexes\n${made}\n\n${
          renderPlan(result.after)
        }`,
        err: "",
      };
    }
    return { code: 0, out: `${head}\n\n${renderPlan(result)}`, err: "" };
  } catch (e) {
    const where = e.code ? ` (SQLSTATE ${e.code})` : "";
    return { code: 1, out: "", err: `error: ${e.message}${where}` };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await run(process.argv.slice(2));
  if (r.out) console.log(r.out);
  if (r.err) console.error(r.err);
  process.exit(r.code);
}
