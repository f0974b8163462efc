// Threat: ordinary statement errors taken for lost connections (denial of service). Error texts that echo
// caller input ("tenant", "pooler", …), or an ERROR-severity protocol violation, must be answered as what
// they are (4xx/500 for that request only): no retry, no breaker, no ambiguous-commit answer, no leaked
// connection or slot.
import assert from "node:assert/strict";
import postgres from "postgres";
import { counterTotal, DB_URL, POOLER_URL, rejection } from "./_helpers.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { metrics } from "../supabase/functions/_shared/metrics.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const ECHOED = [
  "tenant",
  "pooler",
  "server conn crashed",
  "no more connections allowed (max_client_conn)",
  "query_wait_timeout",
  "server login has been failing, try again later (server_login_retry)",
  "database postgres is not available",
  "cannot connect to server",
];

Deno.test(
  "errors echoing pooler words are 400s for that request only, on every path; nothing leaks",
  opts,
  async () => {
    // Straight to Postgres as the functions' login role, so the server can count this client's connections.
    const pw = decodeURIComponent(new URL(POOLER_URL.replace(/^postgres(ql)?:/, "http:")).password);
    const dbPort = new URL(DB_URL.replace(/^postgres(ql)?:/, "http:")).port;
    const app = `classify-${crypto.randomUUID().slice(0, 8)}`;
    const direct = `postgresql://cryo_api:${
      encodeURIComponent(pw)
    }@127.0.0.1:${dbPort}/postgres?application_name=${app}`;
    const db = new Database(loadConfig({
      CRYO_ENV: "local",
      CRYO_LOG_LEVEL: "error",
      CRYO_DB_URL: direct,
      CRYO_DB_POOL_MAX: "2",
      CRYO_DB_BREAKER_THRESHOLD: "1",
      CRYO_DB_RETRY_MAX_ATTEMPTS: "2",
    }));
    const observer = postgres(DB_URL, { max: 1, prepare: false, onnotice: () => {} });
    try {
      const retries = await counterTotal(metrics.retries);
      for (const word of ECHOED) {
        for (const path of ["rendered", "bind", "interactive"]) {
          const e = await rejection(
            path === "interactive"
              ? db.withClaims({ role: "anon" }, (tx) => tx`select ${word}::uuid as u`)
              : db.queryAs({ role: "anon" }, (tx) => tx`select ${word}::uuid as u`, { extended: path === "bind" }),
          );
          assert.equal(e.status, 400, `${path} ${word}: ${e.code}`);
          assert.equal(e.code, "INVALID_INPUT");
        }
      }
      // A protocol violation the server answers with ERROR severity (a bind count mismatch) is a statement error.
      const pv = await rejection(db.queryAs({ role: "anon" }, (tx) => tx.unsafe("select 1 as v\0 trailing bytes")));
      assert.equal(pv.pgCode, "08P01", `${pv.code} ${pv.message}`);
      assert.equal(pv.errorClass, "statement");
      assert.equal(await counterTotal(metrics.retries), retries, "nothing was retried");
      assert.equal(db.summary().breaker, "closed", "the breaker never counted them");
      assert.equal(db.summary().in_use, 0, "every slot came back");
      // Both connections still serve at once.
      const both = await Promise.all(
        [1, 2].map(() => db.queryAs<{ ok: number }[]>({ role: "anon" }, (tx) => tx`select 1 as ok from pg_sleep(0.1)`)),
      );
      assert.deepEqual(both.map((r) => r[0].ok), [1, 1]);
      const [{ n }] = await observer`select count(*)::int as n from pg_stat_activity where application_name = ${app}`;
      assert.ok(n <= 2, `at most the pool's two connections are open (${n})`);
    } finally {
      await db.end();
      await observer.end();
    }
  },
);
