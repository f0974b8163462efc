// The database of an isolate: postgres.js through the transaction pooler (Supavisor in production,
// pgbouncer locally), created once, prepared statements off, and around it the slot pool, the retry policy
// and the circuit breaker (cockatiel: retry outside the breaker, so each attempt is seen by the breaker and
// "circuit open" is never retried).
//
// Every piece of application work runs through `queryAs` (statements built up front, one write) or
// `withClaims` (interactive), in one transaction that starts from a known session state with the caller's
// claims and a whitelisted role, so RLS applies exactly as through PostgREST.
import {
  BrokenCircuitError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  wrap,
} from "cockatiel";
import postgres, { type Sql } from "postgres";
import { type Config } from "../config.ts";
import { log, logThrottled, setLogLevel } from "../log.ts";
import { metrics } from "../metrics.ts";
import { AttemptError, DbError, NoAnswer, Passthrough, unavailable } from "./errors.ts";
import { type Analysis, type Rendered, Renderer } from "./render.ts";
import { ALLOWED_ROLES, type ApiRole, resetText, settingsText } from "./session.ts";
import { abortable, answerTimer, Slots } from "./slots.ts";
import { classify, interactive, type Pending, pipeline, reserveConn, type TxOptions } from "./transaction.ts";

/**
 * A statement's text as the slow-transaction log shows it: whitespace collapsed, at most 300 characters (then
 * "…"). monitoring.find_statements(<this text>) finds its pg_stat_statements entry (docs/monitoring.md).
 */
export function logText(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/** The text of a built postgres.js query with $n in its placeholders' places (bind-parameter path). */
// deno-lint-ignore no-explicit-any
function statementText(q: any): string {
  const strings: readonly string[] = Array.isArray(q?.strings) ? q.strings : [];
  return strings.reduce((a, s, i) => (i === 0 ? s : `${a}$${i}${s}`), "");
}

export type Claims = { role?: string; sub?: string; [k: string]: unknown };
type Row = Record<string, unknown>;
type Work =
  | { kind: "pipeline"; build: (tx: Sql) => Pending | Pending[] }
  | { kind: "interactive"; fn: (tx: Sql) => Promise<unknown> };

// deno-lint-ignore no-control-regex
const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);

const STATE_NAMES: Record<number, string> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "isolated",
};

export class Database {
  readonly sql: Sql;
  readonly breaker: CircuitBreakerPolicy;
  private slots: Slots;
  private policy;
  private renderer: Renderer;
  private verified = false;
  private unsafe: DbError | null = null;
  private transitions: { to: string; at: string }[] = [];
  private breakerRetryAfterS: number;

  constructor(readonly cfg: Config) {
    setLogLevel(cfg.CRYO_LOG_LEVEL);
    this.sql = postgres(cfg.CRYO_DB_URL, {
      prepare: false, // a transaction-mode pooler cannot keep named prepared statements
      max: cfg.CRYO_DB_POOL_MAX,
      idle_timeout: cfg.CRYO_DB_IDLE_TIMEOUT_S || undefined,
      max_lifetime: cfg.CRYO_DB_MAX_LIFETIME_S || null,
      connect_timeout: cfg.CRYO_DB_CONNECT_TIMEOUT_MS / 1000,
      // postgres.js backs off reconnects up to 20 s after repeated failures; the breaker paces us instead, so
      // the first request after an outage reconnects at once.
      backoff: () => cfg.CRYO_DB_RECONNECT_DELAY_MS / 1000,
      connection: { application_name: "cryoprotect-functions" },
      onnotice: () => {},
      onclose: (id: number) => {
        metrics.connectionsClosed.inc();
        logThrottled("conn-close", 5000, "info", "db connection closed", { connection: id });
      },
    });
    this.renderer = new Renderer(this.sql, cfg.CRYO_DB_STATEMENT_TIMEOUT_MS);
    this.slots = new Slots(cfg.CRYO_DB_POOL_MAX, cfg.CRYO_DB_QUEUE_LIMIT);
    this.breakerRetryAfterS = Math.max(1, Math.ceil(cfg.CRYO_DB_BREAKER_HALF_OPEN_MS / 1000));

    const retryPolicy = retry(handleWhen((e) => e instanceof AttemptError && e.retryable), {
      maxAttempts: cfg.CRYO_DB_RETRY_MAX_ATTEMPTS, // cockatiel: maxAttempts retries after the first call
      backoff: new ExponentialBackoff({
        initialDelay: cfg.CRYO_DB_RETRY_INITIAL_MS,
        maxDelay: cfg.CRYO_DB_RETRY_MAX_DELAY_MS,
      }),
    });
    retryPolicy.onRetry((r) => {
      metrics.retries.inc();
      const err = "error" in r ? r.error : undefined;
      logThrottled("retry", 1000, "info", "db retry", {
        attempt: r.attempt,
        delay_ms: Math.round(r.delay),
        error: String(err),
      });
    });
    this.breaker = circuitBreaker(handleWhen((e) => e instanceof AttemptError && e.breaker), {
      halfOpenAfter: cfg.CRYO_DB_BREAKER_HALF_OPEN_MS,
      breaker: new ConsecutiveBreaker(cfg.CRYO_DB_BREAKER_THRESHOLD),
    });
    metrics.breakerState.set(0);
    this.breaker.onBreak(() => this.slots.failWaiters(this.circuitOpen()));
    this.breaker.onStateChange((s) => {
      const to = STATE_NAMES[s] ?? String(s);
      metrics.breakerState.set(s === CircuitState.Open ? 1 : s === CircuitState.HalfOpen ? 2 : 0);
      metrics.breakerTransitions.inc({ to });
      this.transitions.push({ to, at: new Date().toISOString() });
      if (this.transitions.length > 20) this.transitions.shift();
      log(to === "closed" ? "info" : "warn", "db circuit breaker", { state: to });
    });
    this.policy = wrap(retryPolicy, this.breaker);
  }

  /**
   * Statements built by `build` (on `tx`; created, never awaited; `build` may run twice, once to inspect and
   * once on the reserved connection), run in one transaction as the caller. Statements whose templates verify
   * (render.ts) go as simple-protocol text with their values as transaction settings, so the whole
   * transaction is one write and one round trip; others (fragments, `{ extended: true }`) use bind parameters.
   * A single query resolves to its rows, an array to an array of row lists. Each query holds one statement.
   */
  queryAs<T = Row[]>(claims: Claims, build: (tx: Sql) => Pending | Pending[], opts: TxOptions = {}): Promise<T> {
    return this.run(claims, opts, { kind: "pipeline", build }) as Promise<T>;
  }

  /** Interactive transaction: `fn` may await between statements (bind parameters); COMMIT once it resolves. */
  withClaims<T>(claims: Claims, fn: (tx: Sql) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    return this.run(claims, opts, { kind: "interactive", fn }) as Promise<T>;
  }

  /** Per-transaction settings beyond the claims: the request id, and the liveness check of service tokens. */
  private extra(role: ApiRole, opts: TxOptions) {
    return { requestId: opts.requestId, assertLive: role === "cryo_service" };
  }

  private roleFor(claims: Claims): ApiRole {
    const role = claims.role ?? "anon";
    if (!(ALLOWED_ROLES as readonly string[]).includes(role)) {
      // Refused, never downgraded: a wrong role would silently see nothing (or too much).
      throw new DbError(403, "ROLE_NOT_ALLOWED", `role "${role}" cannot run application work`, "unsafe_role");
    }
    return role as ApiRole;
  }

  private async run(claims: Claims, opts: TxOptions, work: Work): Promise<unknown> {
    const role = this.roleFor(claims);
    if (this.unsafe) throw this.unsafe;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.cfg.CRYO_DB_REQUEST_TIMEOUT_MS);
    const started = performance.now();
    try {
      return await abortable(
        this.policy.execute(({ signal }) => this.attempt(role, claims, opts, work, signal), ac.signal),
        ac.signal,
      );
    } catch (e) {
      if (e instanceof Passthrough) throw e.original;
      const api = this.toApiError(e);
      metrics.errors.inc({ class: api.errorClass });
      if (api.errorClass !== "statement") {
        logThrottled(`err-${api.code}`, 1000, "warn", "db request failed", {
          code: api.code,
          class: api.errorClass,
          ms: Math.round(performance.now() - started),
          error: api.message,
        });
      }
      throw api;
    } finally {
      // No abort() once the policy has settled: no attempt is left waiting then.
      clearTimeout(timer);
    }
  }

  private toApiError(e: unknown): DbError {
    if (e instanceof AttemptError) return e.api;
    if (e instanceof DbError) return e;
    if (e instanceof BrokenCircuitError) return this.circuitOpen();
    return new DbError(500, "DB_ERROR", "database error", "statement");
  }

  private async attempt(role: ApiRole, claims: Claims, opts: TxOptions, work: Work, signal: AbortSignal) {
    const cfg = this.cfg;
    const t0 = performance.now();
    try {
      await this.slots.acquire(cfg.CRYO_DB_ACQUIRE_TIMEOUT_MS, signal);
    } catch (e) {
      throw new AttemptError(e as DbError, false, false);
    }
    // The slot is freed exactly once, by whoever ends up owning the connection's clean-up.
    let freed = false;
    const freeSlot = () => {
      if (!freed) (freed = true, this.slots.release());
    };
    let transacting = false;
    const tStart = performance.now();
    let outcome = "ok";
    // The statements' texts for the slow-transaction log line (values never are in them: see render.ts); made
    // only when the line is written, so a fast transaction pays nothing for them.
    let texts: () => string[] = () => [];
    const acquired = () => metrics.acquire.observe((performance.now() - t0) / 1000);
    try {
      if (!this.verified) await this.verifyOnce(signal);
      if (work.kind === "interactive") {
        acquired();
        transacting = true;
        return await interactive(
          this.sql,
          work.fn,
          {
            reset: resetText(role, cfg.CRYO_DB_STATEMENT_TIMEOUT_MS, !!opts.readOnly, false),
            settings: settingsText(claims, [], this.extra(role, opts)),
          },
          cfg.CRYO_DB_CONNECT_TIMEOUT_MS,
          opts,
          signal,
          freeSlot,
        );
      }
      const analyses = this.analyze(work.build, opts);
      const first = answerTimer(cfg.CRYO_DB_CONNECT_TIMEOUT_MS);
      const tx = await reserveConn(this.sql, first, signal, freeSlot);
      acquired();
      transacting = true;
      const rendered = analyses && await this.renderAll(tx, analyses, role, first, signal, freeSlot);
      let statements: Pending[];
      let settings: string;
      let single: boolean;
      try {
        let values: string[] = [];
        if (rendered) {
          statements = rendered.list.map((r) => tx.unsafe(r.text) as unknown as Pending);
          values = rendered.list.flatMap((r) => r.values.filter((v): v is string => v !== null));
          single = rendered.single;
        } else {
          const built = work.build(tx);
          single = !Array.isArray(built);
          statements = single ? [built as Pending] : built as Pending[];
          for (const q of statements) this.renderer.refuseNul(q);
        }
        settings = settingsText(claims, values, this.extra(role, opts));
        const sentList = rendered?.list;
        const sentStatements = statements;
        texts = () => sentList ? sentList.map((r) => r.text) : sentStatements.map(statementText);
      } catch (e) {
        // Nothing was sent: hand the connection back. Our refusals (NUL) are 400s; anything else came from the
        // caller's own `build` and is rethrown as it is.
        first.clear();
        tx.release();
        freeSlot();
        throw e instanceof DbError ? new AttemptError(e, false, false) : new Passthrough(e);
      }
      const reset = resetText(role, cfg.CRYO_DB_STATEMENT_TIMEOUT_MS, !!opts.readOnly, true);
      // The reset runs before the bytes of a message that follows it are decoded, so a client_encoding a
      // previous client left behind cannot mangle non-ASCII settings; ASCII ones may share its message.
      const setup = isAscii(settings)
        ? [tx.unsafe(`${reset}; ${settings}`) as unknown as Pending]
        : [tx.unsafe(reset) as unknown as Pending, tx.unsafe(settings) as unknown as Pending];
      const sent = [...setup, ...statements, tx.unsafe("commit") as unknown as Pending];
      const results = await pipeline(tx, sent, first, opts, signal, freeSlot, !!rendered);
      const out = results.slice(setup.length, -1);
      return single ? out[0] : out;
    } catch (e) {
      outcome = e instanceof AttemptError ? e.api.errorClass : "error";
      throw e;
    } finally {
      if (!transacting) freeSlot();
      const s = (performance.now() - tStart) / 1000;
      metrics.query.observe({ outcome }, s);
      if (cfg.CRYO_DB_SLOW_QUERY_MS && s * 1000 >= cfg.CRYO_DB_SLOW_QUERY_MS) {
        metrics.slow.inc();
        logThrottled("slow", 1000, "warn", "slow transaction", {
          ms: Math.round(s * 1000),
          role,
          outcome,
          request_id: opts.requestId ?? null,
          statements: texts().map(logText),
        });
      }
    }
  }

  /** What each statement of `build` needs, or null when the bind-parameter path must be used for the call. */
  private analyze(
    build: (tx: Sql) => Pending | Pending[],
    opts: TxOptions,
  ): { list: Analysis[]; single: boolean } | null {
    if (!this.cfg.CRYO_DB_ONE_ROUND_TRIP || opts.extended) return null;
    let built: Pending | Pending[];
    try {
      built = build(this.sql);
    } catch (e) {
      throw new Passthrough(e);
    }
    const single = !Array.isArray(built);
    let list: Analysis[];
    try {
      list = (single ? [built] : built as Pending[]).map((q) => this.renderer.analyze(q));
    } catch (e) {
      if (e instanceof DbError) throw new AttemptError(e, false, false);
      throw e;
    }
    return list.some((a) => a.kind === "bind") ? null : { list, single };
  }

  /**
   * Every statement as text with its values, verifying templates not seen yet for this role on `tx` (a short
   * rolled-back transaction each). Null when one of them must use bind parameters.
   */
  private async renderAll(
    tx: Sql & { release(): void },
    analyses: { list: Analysis[]; single: boolean },
    role: ApiRole,
    first: ReturnType<typeof answerTimer>,
    signal: AbortSignal,
    freeSlot: () => void,
  ): Promise<{ list: Rendered[]; single: boolean } | null> {
    const list: Rendered[] = [];
    let offset = 0;
    for (const a of analyses.list) {
      if (a.kind === "as_is") {
        list.push({ text: a.text, values: [] });
        continue;
      }
      if (a.kind !== "template") return null;
      let plan = this.renderer.cached(a, role);
      if (plan === undefined) {
        const verifying = this.renderer.verify(tx, a, role);
        verifying.catch(() => {}); // the race below may settle first; its outcome is handled there
        try {
          plan = await abortable(Promise.race([verifying, first.promise]), signal);
        } catch (e) {
          // Nothing of the request has run: describing is read-only and rolled back.
          first.clear();
          if (e instanceof NoAnswer) {
            freeSlot();
            throw new AttemptError(unavailable("the database pooler did not answer", 5), false, true);
          }
          const attempt = classify(e, false, { readOnly: true }, true);
          if (attempt.api.errorClass !== "statement") freeSlot();
          else (tx.release(), freeSlot());
          throw attempt;
        }
      }
      if (!plan) return null;
      let r: Rendered;
      try {
        r = this.renderer.render(a, plan, offset, true);
      } catch (e) {
        first.clear();
        tx.release();
        freeSlot();
        throw new AttemptError(e as DbError, false, false);
      }
      offset += r.values.filter((v) => v !== null).length;
      list.push(r);
    }
    return { list, single: analyses.single };
  }

  private circuitOpen() {
    return new DbError(
      503,
      "DB_CIRCUIT_OPEN",
      "the database is unavailable; failing fast until it recovers",
      "circuit_open",
      { "Retry-After": String(this.breakerRetryAfterS) },
    );
  }

  /** Fails closed if the login role could bypass RLS, or if a whitelisted role could. Once per isolate. */
  private async verifyOnce(signal: AbortSignal) {
    // deno-lint-ignore no-explicit-any
    let r: any;
    const first = answerTimer(this.cfg.CRYO_DB_CONNECT_TIMEOUT_MS);
    // Every name qualified: the session may carry a previous client's temp objects and search_path.
    const query = this.sql.unsafe(`
          select r.rolsuper, r.rolbypassrls,
                 (select coalesce(pg_catalog.array_agg(t.rolname::pg_catalog.text), '{}')
                    from pg_catalog.pg_roles t
                   where t.rolname operator(pg_catalog.=) any('{${ALLOWED_ROLES.join(",")}}'::pg_catalog.name[])
                     and (t.rolsuper or t.rolbypassrls)) as unsafe_roles
            from pg_catalog.pg_roles r where r.rolname operator(pg_catalog.=) session_user`) as unknown as Promise<
      // deno-lint-ignore no-explicit-any
      any[]
    >;
    query.catch(() => {}); // the race below may settle first; its outcome is handled there
    try {
      [r] = await abortable(Promise.race([first.promise, query]), signal);
    } catch (e) {
      if (e instanceof DbError) throw new AttemptError(e, false, true);
      if (e instanceof NoAnswer) {
        throw new AttemptError(unavailable("the database pooler did not answer", 5), false, true);
      }
      throw classify(e, false, { readOnly: true });
    } finally {
      first.clear();
    }
    if (!r || r.rolsuper || r.rolbypassrls || r.unsafe_roles.length) {
      this.unsafe = new DbError(
        500,
        "DB_UNSAFE_ROLE",
        "the database login role (or a whitelisted role) is superuser or BYPASSRLS; refusing to serve",
        "unsafe_role",
      );
      log("error", "db login role is unsafe; refusing all work", { row: r ?? null });
      throw new AttemptError(this.unsafe, false, false);
    }
    this.verified = true;
  }

  /** Pool and breaker state for GET /health. */
  summary() {
    return {
      max: this.cfg.CRYO_DB_POOL_MAX,
      in_use: this.slots.used,
      idle: this.cfg.CRYO_DB_POOL_MAX - this.slots.used,
      waiting: this.slots.waiting,
      queue_limit: this.cfg.CRYO_DB_QUEUE_LIMIT,
      breaker: STATE_NAMES[this.breaker.state] ?? String(this.breaker.state),
      breaker_transitions: this.transitions.slice(-5),
    };
  }

  async end() {
    await this.sql.end({ timeout: 1 });
  }
}
