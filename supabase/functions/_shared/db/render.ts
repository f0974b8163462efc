// How a statement's values reach Postgres without ever becoming SQL text.
//
// A tagged template `tx\`select … where inchikey = ${key}\`` is verified once per call site and role: its
// text with `$1…$n` in the placeholders' places is described by the server (Parse + Describe, in a clean
// transaction as that role, rolled back). Postgres only recognises `$n` as a parameter where a value may
// stand; inside a string, a quoted identifier, a dollar-quoted body, a comment, or glued to an identifier it
// is part of that token, so the description then fails ("could not determine data type of parameter") or
// counts fewer parameters, and the call site falls back to bind parameters. For a verified call site each
// placeholder becomes `(select pg_catalog.current_setting('cryo.p<k>')::<described type>)`: the value
// travels as a transaction-local setting set by a statement of its own (session.ts), so the statement text is
// the same for every caller (one pg_stat_statements entry per shape, no value in its error log line), and a
// value can never be read as SQL, wherever the template places it. The scalar subquery is an InitPlan,
// evaluated once per statement, like a bind parameter.
//
// Values are serialised exactly as postgres.js serialises a bind parameter of the described type (its own
// serializers, `sql.options.serializers`, keyed by type oid; text otherwise), so the same jsonb value is
// stored the same way on both paths. NULL becomes `null::<type>`.
import type { Sql } from "postgres";
import { badValue } from "./errors.ts";
import { type ApiRole, resetText, VALUE_SETTING } from "./session.ts";

// deno-lint-ignore no-explicit-any
type AnyQuery = any;

const MAX_PLANS_PER_CALL_SITE = 64;

/** A verified call site: the template's parts, and the qualified type name of each placeholder. */
type Plan = { typeNames: string[]; types: number[] };

/** What one built query needs: rendered text, or the bind-parameter path. */
export type Analysis =
  | { kind: "as_is"; text: string }
  | { kind: "template"; strings: readonly string[]; args: unknown[]; inlined: (string | undefined)[]; key: string }
  | { kind: "bind" };

/** A statement ready to send as simple-protocol text, with its serialized values (null: SQL NULL). */
export type Rendered = { text: string; values: (string | null)[] };

export class Renderer {
  private plans = new WeakMap<object, Map<string, Plan | null>>();
  private typeNames = new Map<number, string>();
  private identifierClass: unknown;
  private parameterClass: unknown;
  private queryClass: unknown;
  private builderClass: unknown;

  constructor(private readonly sql: Sql, private readonly statementTimeoutMs: number) {
    // postgres.js does not export these classes; its public helpers return instances of them.
    // deno-lint-ignore no-explicit-any
    const s = sql as any;
    this.identifierClass = s("x").constructor;
    this.parameterClass = s.json(null).constructor;
    this.queryClass = s`select 1`.constructor;
    this.builderClass = s({ x: 1 }).constructor;
  }

  /** Refuses (400) identifiers with NUL anywhere in a built query, whichever path it takes. */
  refuseNul(q: AnyQuery) {
    for (const v of q?.args ?? []) {
      if (v instanceof (this.identifierClass as new () => object) && (v as { value: string }).value.includes("\0")) {
        throw badValue("identifiers must not contain NUL characters");
      }
    }
  }

  /** Which path a built (not executed) postgres.js query can take. */
  analyze(q: AnyQuery): Analysis {
    this.refuseNul(q);
    if (!q || !Array.isArray(q.strings) || !Array.isArray(q.args)) return { kind: "bind" };
    if (q.isRaw || q.cursorFn || q.forEachFn || q.onlyDescribe || q.streaming || q.executed) return { kind: "bind" };
    if (!q.tagged) return q.args.length === 0 ? { kind: "as_is", text: q.strings[0] } : { kind: "bind" };
    if (q.args.length === 0) return { kind: "as_is", text: q.strings[0] };
    const sig: string[] = [];
    const inlined: (string | undefined)[] = [];
    for (const v of q.args) {
      if (v instanceof (this.identifierClass as new () => object)) {
        // postgres.js already quoted it ("a""b"); refuseNul() has refused NUL, which no SQL text may hold.
        const text = (v as { value: string }).value;
        inlined.push(text);
        sig.push(`I${text}`);
        continue;
      }
      if (v instanceof (this.queryClass as new () => object) || v instanceof (this.builderClass as new () => object)) {
        return { kind: "bind" }; // fragments and helpers: postgres.js composes them
      }
      if (v === undefined) return { kind: "bind" }; // postgres.js reports it
      inlined.push(undefined);
      sig.push(declaredType(v, this.parameterClass));
    }
    return { kind: "template", strings: q.strings, args: q.args, inlined, key: sig.join(",") };
  }

  /** The cached verdict for this template and role: a plan, null (bind), or undefined (not verified yet). */
  cached(a: Extract<Analysis, { kind: "template" }>, role: ApiRole): Plan | null | undefined {
    return this.plans.get(a.strings)?.get(`${role}|${a.key}`);
  }

  /**
   * Verifies a template on a reserved connection (one short transaction, rolled back) and caches the verdict.
   * Throws only what the connection throws (the caller classifies it); a statement error means "bind".
   */
  async verify(tx: Sql, a: Extract<Analysis, { kind: "template" }>, role: ApiRole): Promise<Plan | null> {
    const text = withParams(a);
    const args = a.args.filter((_, i) => a.inlined[i] === undefined);
    let plan: Plan | null = null;
    const desc = await this.describe(tx, role, text, args);
    if (desc && desc.types.length === args.length && desc.types.every((t) => t > 0)) {
      const missing = [...new Set(desc.types.filter((t) => !this.typeNames.has(t)))];
      if (missing.length) {
        const rows = await (tx.unsafe(
          `select t.oid::pg_catalog.int8 as oid, pg_catalog.format('%I.%I', n.nspname, t.typname) as name
             from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
            where t.oid = any('{${missing.map((t) => Math.trunc(t)).join(",")}}'::pg_catalog.oid[])`,
        ) as unknown as Promise<{ oid: string; name: string }[]>);
        for (const r of rows) this.typeNames.set(Number(r.oid), r.name);
      }
      const candidate = { types: desc.types, typeNames: desc.types.map((t) => this.typeNames.get(t) ?? "") };
      if (candidate.typeNames.every(Boolean)) {
        // The rendered form must parse where `$n` did and describe the same columns (a scalar subquery is not
        // allowed in every place a parameter is).
        const rendered = this.render(a, candidate, 0).text;
        const check = await this.describe(tx, role, rendered, []);
        if (check && check.types.length === 0 && sameColumns(check.columns, desc.columns)) plan = candidate;
      }
    }
    let byKey = this.plans.get(a.strings);
    if (!byKey) this.plans.set(a.strings, byKey = new Map());
    // Inlined identifiers are part of the key: bound what one call site may hold, whatever callers pass.
    if (byKey.size >= MAX_PLANS_PER_CALL_SITE) byKey.delete(byKey.keys().next().value!);
    byKey.set(`${role}|${a.key}`, plan);
    return plan;
  }

  /** Forget a plan (the schema changed under it: a statement failed with an undefined or mistyped name). */
  forget(a: Extract<Analysis, { kind: "template" }>, role: ApiRole) {
    this.plans.get(a.strings)?.delete(`${role}|${a.key}`);
  }

  /** Text with value references numbered from `offset + 1`, and the values serialised as postgres.js binds them. */
  render(a: Extract<Analysis, { kind: "template" }>, plan: Plan, offset: number, withValues = false): Rendered {
    const serializers = (this.sql as unknown as { options: { serializers: Record<number, (x: unknown) => string> } })
      .options.serializers;
    let text = a.strings[0];
    const values: (string | null)[] = [];
    let p = 0;
    for (let i = 0; i < a.args.length; i++) {
      const inline = a.inlined[i];
      if (inline !== undefined) {
        text += inline + a.strings[i + 1];
        continue;
      }
      const type = plan.types[p];
      const typeName = plan.typeNames[p];
      p++;
      let v = a.args[i];
      if (v instanceof (this.parameterClass as new () => object)) v = (v as { value: unknown }).value;
      if (withValues && v !== null) {
        const s = type in serializers ? serializers[type](v) : "" + v;
        if (s.includes("\0")) throw badValue("text values must not contain NUL characters");
        values.push(s);
        text += `(select pg_catalog.current_setting('${VALUE_SETTING}${offset + values.length}')::${typeName})`;
      } else if (withValues) {
        text += `null::${typeName}`;
      } else {
        text += `(select pg_catalog.current_setting('${VALUE_SETTING}${offset + p}')::${typeName})`;
      }
      text += a.strings[i + 1];
    }
    return { text, values };
  }

  private async describe(
    tx: Sql,
    role: ApiRole,
    text: string,
    args: unknown[],
  ): Promise<{ types: number[]; columns: { name: string; type: number }[] } | null> {
    // A clean transaction as the role (the session may be poisoned), describe only, rolled back.
    const reset = tx.unsafe(resetText(role, this.statementTimeoutMs, true, true)) as AnyQuery;
    const d = (tx.unsafe(text, args as never[], { prepare: false, simple: false } as never) as AnyQuery).describe();
    const rb = tx.unsafe("rollback") as AnyQuery;
    reset.execute();
    d.execute?.();
    rb.execute();
    const [r0, r1, r2] = await Promise.allSettled([reset, d, rb]);
    if (r0.status === "rejected") throw r0.reason;
    if (r2.status === "rejected") throw r2.reason;
    if (r1.status === "rejected") {
      // deno-lint-ignore no-explicit-any
      const e = r1.reason as any;
      if (e?.severity === "FATAL" || e?.severity === "PANIC" || !e?.severity) throw e; // connection trouble
      return null;
    }
    // deno-lint-ignore no-explicit-any
    const s = r1.value as any;
    return {
      types: [...(s.types ?? [])].map(Number),
      columns: (s.columns ?? []).map((c: { name: string; type: number }) => ({ name: c.name, type: c.type })),
    };
  }
}

/** The template with `$1…$n` for its values (identifiers inlined), as postgres.js would send it. */
function withParams(a: Extract<Analysis, { kind: "template" }>): string {
  let text = a.strings[0];
  let n = 0;
  for (let i = 0; i < a.args.length; i++) {
    text += (a.inlined[i] ?? `$${++n}`) + a.strings[i + 1];
  }
  return text;
}

function sameColumns(a: { name: string; type: number }[], b: { name: string; type: number }[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i].name && c.type === b[i].type);
}

/**
 * The type postgres.js declares for a value in Parse (its `inferType`): the described types depend on it, so
 * it is part of the cache key. Parameters (sql.json, sql.typed, sql.array) carry their own.
 */
function declaredType(v: unknown, parameterClass: unknown): string {
  if (v instanceof (parameterClass as new () => object)) {
    const p = v as { type?: number; array?: unknown };
    return `P${p.type ?? 0}${p.array ? "a" : ""}`;
  }
  if (v instanceof Date) return "1184";
  if (v instanceof Uint8Array) return "17";
  if (v === true || v === false) return "16";
  if (typeof v === "bigint") return "20";
  if (Array.isArray(v)) return `A${v.length ? declaredType(v[0], parameterClass) : "0"}`;
  return "0";
}
