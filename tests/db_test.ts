// The database module (supabase/functions/_shared/db.ts) against the real test stack: pooler, Postgres,
// roles. Faults a test cannot get from a healthy stack (a lost COMMIT acknowledgement, a silent peer, a
// refused port) come from tests/_proxy.ts or from ports nothing listens on.
import assert from "node:assert/strict";
import { adminSql, counterTotal, POOLER_URL, rejection } from "./_helpers.ts";
import { FaultProxy } from "./_proxy.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { metrics } from "../supabase/functions/_shared/metrics.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const poolerPort = Number(new URL(POOLER_URL.replace(/^postgres(ql)?:/, "http:")).port);

function dbWith(overrides: Record<string, string> = {}, url = POOLER_URL) {
  return new Database(loadConfig({ CRYO_ENV: "local", CRYO_LOG_LEVEL: "error", CRYO_DB_URL: url, ...overrides }));
}

/** A table under RLS created for one test through the direct admin connection, dropped afterwards. */
async function withTable(fn: (table: string, uids: { a: string; b: string }) => Promise<void>) {
  const admin = adminSql();
  const table = `pool_test_${crypto.randomUUID().slice(0, 8)}`;
  const uids = { a: crypto.randomUUID(), b: crypto.randomUUID() };
  try {
    await admin.unsafe(`
      create table public.${table} (id text primary key, owner uuid not null, note text);
      alter table public.${table} enable row level security;
      create policy own_rows on public.${table} for all to authenticated
        using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
      grant select, insert on public.${table} to authenticated;
      insert into public.${table} values ('a1', '${uids.a}', 'x'), ('a2', '${uids.a}', 'x'), ('b1', '${uids.b}', 'x');`);
    await fn(table, uids);
  } finally {
    await admin.unsafe(`drop table if exists public.${table}`);
    await admin.end();
  }
}

/** --- Configuration --- */

Deno.test("configuration: documented defaults for transaction mode, numbers coerced from strings", () => {
  const c = loadConfig({
    CRYO_DB_URL: "postgresql://cryo_api.ref:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres",
  });
  assert.equal(c.CRYO_ENV, "production");
  assert.equal(c.CRYO_DB_POOL_MAX, 4);
  const d = loadConfig({ CRYO_DB_URL: POOLER_URL, CRYO_ENV: "local", CRYO_DB_POOL_MAX: "7" });
  assert.equal(d.CRYO_DB_POOL_MAX, 7);
});

Deno.test("configuration: production refuses the direct connection and session mode, naming the variable", () => {
  for (
    const url of [
      "postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres",
      "postgresql://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres",
      "postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co/postgres",
    ]
  ) {
    assert.throws(() => loadConfig({ CRYO_DB_URL: url }), /CRYO_DB_URL: looks like the direct connection/);
  }
});

Deno.test("configuration: bad values are reported per variable", () => {
  assert.throws(
    () => loadConfig({ CRYO_DB_URL: "mysql://x", CRYO_DB_POOL_MAX: "0", CRYO_DB_QUEUE_LIMIT: "lots" }),
    (e: Error) =>
      /CRYO_DB_URL/.test(e.message) && /CRYO_DB_POOL_MAX/.test(e.message) && /CRYO_DB_QUEUE_LIMIT/.test(e.message),
  );
  assert.throws(() => loadConfig({}), /CRYO_DB_URL/);
});

/** --- Request-scoped transactions under RLS --- */

Deno.test("RLS applies: each user sees only their rows, anon none, unlisted roles are refused", opts, async () => {
  await withTable(async (table, uids) => {
    const db = dbWith();
    try {
      const asA = await db.queryAs<{ id: string }[]>(
        { role: "authenticated", sub: uids.a },
        (tx) => tx`select id from ${tx(table)} order by id`,
      );
      assert.deepEqual(asA.map((r) => r.id), ["a1", "a2"]);
      const asB = await db.queryAs<{ id: string }[]>(
        { role: "authenticated", sub: uids.b },
        (tx) => tx`select id from ${tx(table)}`,
      );
      assert.deepEqual(asB.map((r) => r.id), ["b1"]);
      // The platform's default privileges grant anon the table; the policy (to authenticated) shows it nothing.
      const anon = await db.queryAs<unknown[]>({ role: "anon" }, (tx) => tx`select id from ${tx(table)}`);
      assert.equal(anon.length, 0);
      for (const role of ["service_role", "postgres", "supabase_admin", "cryo_api"]) {
        const e = await rejection(db.queryAs({ role }, (tx) => tx`select 1`));
        assert.equal(e.code, "ROLE_NOT_ALLOWED", role);
      }
      // A row for someone else is refused by the policy, and nothing of the transaction remains.
      const w = await rejection(db.withClaims({ role: "authenticated", sub: uids.a }, async (tx) => {
        await tx`insert into ${tx(table)} values ('a3', ${uids.a}, 'mine')`;
        await tx`insert into ${tx(table)} values ('b2', ${uids.b}, 'not mine')`;
      }));
      assert.equal(w.status, 403);
      const admin = adminSql();
      const [{ n }] = await admin`select count(*)::int as n from ${admin(table)} where id in ('a3', 'b2')`;
      await admin.end();
      assert.equal(n, 0, "the first insert was rolled back with the second");
    } finally {
      await db.end();
    }
  });
});

Deno.test("nothing leaks between pooled transactions: role and claims are transaction-local", opts, async () => {
  await withTable(async (table, uids) => {
    const db = dbWith({ CRYO_DB_POOL_MAX: "3", CRYO_DB_QUEUE_LIMIT: "1000", CRYO_DB_REQUEST_TIMEOUT_MS: "20000" });
    try {
      const who = [
        { claims: { role: "authenticated", sub: uids.a }, rows: 2 },
        { claims: { role: "authenticated", sub: uids.b }, rows: 1 },
        { claims: { role: "anon" }, rows: -1 },
      ];
      const calls = Array.from({ length: 300 }, (_, i) => {
        const w = who[i % 3];
        const count = (tx: any) => w.rows < 0 ? tx`select -1 as n` : tx`select count(*)::int as n from ${tx(table)}`;
        // Every path: one round trip (a single statement), pipelined (several), interactive (sql.begin).
        if (i % 5 === 3) {
          return db.queryAs<Record<string, unknown>[]>(
            w.claims,
            (tx) =>
              w.rows < 0
                ? tx`select current_user as role, auth.uid() as uid, -1 as n`
                : tx`select current_user as role, auth.uid() as uid, (select count(*)::int from ${tx(table)}) as n`,
          ).then(([me]) => ({ w, me, n: me.n as number }));
        }
        if (i % 5 === 4) {
          return db.withClaims(w.claims, async (tx) => {
            const [me] = await tx`select current_user as role, auth.uid() as uid`;
            const [c] = await count(tx);
            return { w, me, n: c.n };
          });
        }
        return db.queryAs<Record<string, unknown>[][]>(w.claims, (tx) => [
          tx`select current_user as role, auth.uid() as uid`,
          count(tx),
        ]).then(([[me], [c]]) => ({ w, me, n: c.n }));
      });
      for (const r of await Promise.all(calls)) {
        assert.equal(r.me.role, r.w.claims.role);
        assert.equal(r.me.uid, (r.w.claims as { sub?: string }).sub ?? null);
        assert.equal(r.n, r.w.rows);
      }
      // The next transactions on those connections carry their own role and claims only.
      for (let i = 0; i < 6; i++) {
        const [s] = await db.queryAs<{ role: string; claims: string }[]>(
          { role: "anon" },
          (tx) => tx`select current_user as role, current_setting('request.jwt.claims', true) as claims`,
        );
        assert.equal(s.role, "anon");
        assert.deepEqual(JSON.parse(s.claims), { role: "anon" }, "no claims left behind");
      }
    } finally {
      await db.end();
    }
  });
});

Deno.test("fails closed when the login role bypasses RLS (postgres on the direct port)", opts, async () => {
  const direct = Deno.env.get("DB_URL") ?? "";
  const db = dbWith({}, direct);
  try {
    const e = await rejection(db.queryAs({ role: "anon" }, (tx) => tx`select 1`));
    assert.equal(e.code, "DB_UNSAFE_ROLE");
    const again = await rejection(db.queryAs({ role: "anon" }, (tx) => tx`select 1`));
    assert.equal(again.code, "DB_UNSAFE_ROLE", "and keeps refusing");
  } finally {
    await db.end();
  }
});

/** --- Retries, ambiguity, deadlines, shedding, breaker --- */

for (const path of ["one round trip", "pipelined"] as const) {
  Deno.test(
    `a lost COMMIT acknowledgement (${path}) is reported as ambiguous, never retried: the write exists once`,
    opts,
    async () => {
      await withTable(async (table, uids) => {
        const proxy = new FaultProxy(poolerPort);
        const db = dbWith({}, POOLER_URL.replace(`:${poolerPort}/`, `:${proxy.port}/`));
        const claims = { role: "authenticated", sub: uids.a };
        // One call site, so the warm-up verifies the template the measured call then uses.
        const insert = (id: string) =>
          db.queryAs(claims, (tx) => tx`insert into ${tx(table)} values (${id}, ${uids.a}, 'x')`, {
            extended: path === "pipelined",
          });
        try {
          await insert("warm");
          proxy.mode = "drop-commit-ack";
          const retriesBefore = await counterTotal(metrics.retries);
          const extendedBefore = proxy.extendedWrites;
          const insertsBefore = proxy.inserts;
          const e = await rejection(insert("once"));
          assert.equal(e.code, "DB_COMMIT_UNKNOWN");
          assert.equal(e.status, 503);
          if (path === "one round trip") assert.equal(proxy.extendedWrites, extendedBefore, "no bind parameters");
          else assert.ok(proxy.extendedWrites > extendedBefore, "bind parameters");
          assert.equal(await counterTotal(metrics.retries), retriesBefore, "no retry");
          assert.equal(proxy.inserts - insertsBefore, 1, "the insert went out exactly once");
          await new Promise((r) => setTimeout(r, 700));
          const admin = adminSql();
          const [{ n }] = await admin`select count(*)::int as n from ${admin(table)} where id = 'once'`;
          await admin.end();
          assert.equal(n, 1, "the commit did happen on the server: retrying would have been a duplicate");
        } finally {
          await db.end();
          await proxy.stop();
        }
      });
    },
  );
}

Deno.test("refused connections are retried, then answered 503 DB_UNAVAILABLE", opts, async () => {
  const db = dbWith({ CRYO_DB_RETRY_MAX_ATTEMPTS: "2" }, "postgresql://cryo_api:x@127.0.0.1:9/postgres");
  try {
    const before = await counterTotal(metrics.retries);
    const e = await rejection(db.queryAs({ role: "anon" }, (tx) => tx`select 1`));
    assert.equal(e.code, "DB_UNAVAILABLE");
    assert.equal(e.headers["Retry-After"], "5");
    assert.equal(await counterTotal(metrics.retries) - before, 2, "maxAttempts 2 = two retries after the first call");
  } finally {
    await db.end();
  }
});

Deno.test(
  "the breaker opens after consecutive connection failures and then fails fast with Retry-After",
  opts,
  async () => {
    const db = dbWith(
      { CRYO_DB_RETRY_MAX_ATTEMPTS: "0", CRYO_DB_BREAKER_THRESHOLD: "3", CRYO_DB_BREAKER_HALF_OPEN_MS: "60000" },
      "postgresql://cryo_api:x@127.0.0.1:9/postgres",
    );
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await rejection(db.queryAs({}, (tx) => tx`select 1`))).code,
          "DB_UNAVAILABLE",
        );
      }
      const t = performance.now();
      const e = await rejection(db.queryAs({}, (tx) => tx`select 1`));
      const ms = performance.now() - t;
      assert.equal(e.code, "DB_CIRCUIT_OPEN");
      assert.equal(e.status, 503);
      assert.equal(e.headers["Retry-After"], "60");
      assert.ok(ms < 1000, `failed fast (${ms.toFixed(1)} ms)`);
      assert.equal(db.summary().breaker, "open");
    } finally {
      await db.end();
    }
  },
);

Deno.test("a pooler that stops answering cannot hold a request past its deadline", opts, async () => {
  const proxy = new FaultProxy(poolerPort);
  const db = dbWith(
    { CRYO_DB_CONNECT_TIMEOUT_MS: "5000", CRYO_DB_REQUEST_TIMEOUT_MS: "800", CRYO_DB_ACQUIRE_TIMEOUT_MS: "500" },
    POOLER_URL.replace(`:${poolerPort}/`, `:${proxy.port}/`),
  );
  try {
    await db.queryAs({}, (tx) => tx`select 1`);
    proxy.mode = "stall";
    const t = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => db.queryAs({}, (tx) => tx`select 1`)));
    const ms = performance.now() - t;
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.match((r as PromiseRejectedResult).reason.code, /^DB_(TIMEOUT|ACQUIRE_TIMEOUT)$/);
    }
    assert.ok(ms < 2000, `all answered within the deadline bound (${ms.toFixed(0)} ms)`);
  } finally {
    await db.end().catch(() => {});
    await proxy.stop();
  }
});

Deno.test("beyond the wait queue, requests are shed at once with 503 DB_OVERLOADED", opts, async () => {
  const db = dbWith({ CRYO_DB_POOL_MAX: "1", CRYO_DB_QUEUE_LIMIT: "2", CRYO_DB_ACQUIRE_TIMEOUT_MS: "4000" });
  try {
    const calls = Array.from(
      { length: 6 },
      () => db.queryAs({}, (tx) => tx`select pg_sleep(0.2)`).then(() => "ok", (e) => e.code),
    );
    const codes = await Promise.all(calls);
    assert.deepEqual(codes.filter((c) => c === "ok").length, 3, "one running + two queued");
    assert.deepEqual(codes.filter((c) => c === "DB_OVERLOADED").length, 3);
    assert.equal(db.summary().in_use, 0);
  } finally {
    await db.end();
  }
});

Deno.test(
  "statement timeout ends a slow statement with 504 and the connection serves the next request",
  opts,
  async () => {
    const db = dbWith({ CRYO_DB_POOL_MAX: "1", CRYO_DB_STATEMENT_TIMEOUT_MS: "100" });
    try {
      const e = await rejection(db.queryAs({}, (tx) => tx`select pg_sleep(2)`));
      assert.equal(e.code, "DB_STATEMENT_TIMEOUT");
      assert.equal(e.status, 504);
      const [r] = await db.queryAs<{ role: string }[]>({}, (tx) => tx`select current_user as role`);
      assert.equal(r.role, "anon");
    } finally {
      await db.end();
    }
  },
);

Deno.test(
  "claims reach Postgres verbatim, whatever they contain (quotes, dollar tags, backslashes)",
  opts,
  async () => {
    const db = dbWith();
    try {
      const claims = {
        role: "authenticated",
        sub: crypto.randomUUID(),
        email: "o'brien$c$@x.org",
        note: "$c$'); drop table x; --\\ é \u0001",
      };
      const [r] = await db.queryAs<{ jwt: unknown; email: string }[]>(
        claims,
        (tx) => tx`select auth.jwt() as jwt, auth.email() as email`,
      );
      assert.deepEqual(r.jwt, claims);
      assert.equal(r.email, claims.email);
    } finally {
      await db.end();
    }
  },
);

/** --- The one-round-trip path: values as literals --- */

// postgres.js's types do not list bigint, which it does send (as int8).
const BIG = (2n ** 62n) as unknown as number;

const HOSTILE = [
  "plain",
  "",
  "o'brien",
  "''; drop table x; --",
  "'); drop table public.compound; --",
  "back\\slash \\' \\\\",
  "$c$",
  "ends with $c",
  "$$",
  "$$ $c $c$ $cabc$ $",
  "semi; colons; select 1;",
  "unicode é ü 漢字 🧊 \u202e",
  "new\nline\ttab\r",
  "E'\\x41'",
];

Deno.test(
  "hostile strings reach Postgres verbatim as values, never in a statement's text, with no bind round trip",
  opts,
  async () => {
    const proxy = new FaultProxy(poolerPort);
    const db = dbWith({}, POOLER_URL.replace(`:${poolerPort}/`, `:${proxy.port}/`));
    const echo = (v: string) =>
      db.queryAs<{ v: string; len: number }[]>({ role: "anon" }, (tx) => tx`select ${v} as v, length(${v}) as len`, {
        readOnly: true,
      });
    try {
      await echo("warm");
      const extendedBefore = proxy.extendedWrites;
      proxy.sent = "";
      for (const v of HOSTILE) {
        const [r] = await echo(v);
        assert.equal(r.v, v);
        assert.equal(r.len, [...v].length);
      }
      assert.equal(
        proxy.extendedWrites,
        extendedBefore,
        "every call was simple-protocol text only (no describe, no bind)",
      );
      // Each statement's text is the template with setting references; values only travel in the settings message.
      const statements = proxy.sent.split("\x51").filter((m) => m.includes("length("));
      assert.ok(statements.length >= HOSTILE.length);
      for (const m of statements) assert.match(m, /current_setting\('cryo\.p1'\)/);
      const marker = "o'brien-".concat(crypto.randomUUID());
      proxy.sent = "";
      await echo(marker);
      const carrying = proxy.sent.split("\x51").filter((m) => m.includes(marker));
      assert.equal(carrying.length, 1, "the value is in one message only");
      assert.match(carrying[0], /pg_catalog\.set_config\('request\.jwt\.claims'/, "the settings message");
      assert.doesNotMatch(carrying[0], /current_setting/, "not a statement");
      const typed = (extended: boolean) =>
        db.queryAs<{ i: number; b: boolean; big: string; f: number; nul: null; j: unknown; js: unknown }[]>(
          {},
          (tx) =>
            tx`select ${42}::int as i, ${true} as b, ${BIG} as big, ${-1.5e-7}::float8 as f, ${null}::text as nul,
                      ${tx.json({ a: [1, "x"] })}::jsonb as j, ${'{"a":1}'}::jsonb as js`,
          { extended },
        );
      const [n] = await typed(false);
      assert.deepEqual({ ...n }, {
        i: 42,
        b: true,
        big: String(2n ** 62n),
        f: -1.5e-7,
        nul: null,
        j: { a: [1, "x"] },
        js: '{"a":1}',
      });
      const [p] = await typed(true);
      assert.deepEqual({ ...p }, { ...n }, "the same values through bind parameters give the same answers");
      const nul = await rejection(db.queryAs({}, (tx) => tx`select ${"a\0b"} as v`));
      assert.equal(nul.status, 400);
      assert.equal(nul.code, "INVALID_INPUT");
      const nulId = await rejection(db.queryAs({}, (tx) => tx`select 1 as ${tx("a\0b")}`));
      assert.equal(nulId.status, 400, "an identifier with NUL is refused before anything is sent");
    } finally {
      await db.end();
      await proxy.stop();
    }
  },
);

Deno.test(
  "one round trip keeps RLS, rolls back on error, enforces read-only, and leaves the connection clean",
  opts,
  async () => {
    await withTable(async (table, uids) => {
      const db = dbWith({ CRYO_DB_POOL_MAX: "1" });
      try {
        const a = { role: "authenticated", sub: uids.a };
        const ins = await db.queryAs<{ count: number; command: string }>(
          a,
          (tx) => tx`insert into ${tx(table)} values (${"a3"}, ${uids.a}, ${"it's $c$ mine"})`,
        );
        assert.equal(ins.count, 1);
        assert.equal(ins.command, "INSERT");
        const denied = await rejection(
          db.queryAs(a, (tx) => tx`insert into ${tx(table)} values (${"b9"}, ${uids.b}, ${"not mine"})`),
        );
        assert.equal(denied.status, 403);
        const ro = await rejection(
          db.queryAs(a, (tx) => tx`insert into ${tx(table)} values (${"a4"}, ${uids.a}, ${"x"})`, { readOnly: true }),
        );
        assert.equal(ro.pgCode, "25006", "a read-only transaction refuses writes");
        const dup = await rejection(db.queryAs(a, (tx) => tx`insert into ${tx(table)} values ('a1', ${uids.a}, 'x')`));
        assert.equal(dup.code, "CONFLICT");
        const rows = await db.queryAs<{ id: string; note: string }[]>(
          a,
          (tx) => tx`select id, note from ${tx(table)} order by id`,
        );
        assert.deepEqual(rows.map((r) => [r.id, r.note]), [["a1", "x"], ["a2", "x"], ["a3", "it's $c$ mine"]]);
        // One connection: after the errors the next transaction carries no role, claims or open transaction.
        const [s] = await db.queryAs<{ role: string; claims: string }[]>(
          { role: "anon" },
          (tx) => tx`select current_user as role, current_setting('request.jwt.claims', true) as claims`,
        );
        assert.equal(s.role, "anon");
        assert.deepEqual(JSON.parse(s.claims), { role: "anon" });
        const admin = adminSql();
        const [{ n }] = await admin`select count(*)::int as n from ${admin(table)} where id in ('b9', 'a4')`;
        await admin.end();
        assert.equal(n, 0, "nothing of the refused writes remains");
      } finally {
        await db.end();
      }
    });
  },
);

Deno.test(
  "a statement longer than the connect timeout is not mistaken for a silent pooler on the one-round-trip path",
  opts,
  async () => {
    const db = dbWith({ CRYO_DB_CONNECT_TIMEOUT_MS: "200", CRYO_DB_BREAKER_THRESHOLD: "1" });
    try {
      const [r] = await db.queryAs<{ ok: number }[]>({}, (tx) => tx`select 1 as ok from pg_sleep(0.4)`);
      assert.equal(r.ok, 1);
      assert.equal(db.summary().breaker, "closed");
    } finally {
      await db.end();
    }
  },
);
