// The database module's slow-transaction log line leads to the statement's statistics: it carries the
// request id and each statement's text (no value in it), and monitoring.find_statements(<that text>) finds the
// pg_stat_statements entry of the statement as the role it ran as (docs/monitoring.md).
import assert from "node:assert/strict";
import { adminSql, POOLER_URL } from "./_helpers.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { logText } from "../supabase/functions/_shared/db/database.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "slow transaction log: request id and statement texts, found again in monitoring.find_statements",
  opts,
  async () => {
    const db = new Database(loadConfig({
      CRYO_ENV: "local",
      CRYO_LOG_LEVEL: "warn",
      CRYO_DB_URL: POOLER_URL,
      CRYO_DB_SLOW_QUERY_MS: "1",
    }));
    const admin = adminSql();
    const lines: string[] = [];
    const original = console.error;
    // The log is throttled per kind (one line a second): start outside any earlier window.
    await new Promise((r) => setTimeout(r, 1100));
    console.error = (line: string) => lines.push(String(line));
    try {
      const value = `secret value ${crypto.randomUUID()}`;
      const rows = await db.queryAs<{ v: string }[]>(
        { role: "anon" },
        (tx) => tx`select pg_sleep(0.02), ${value}::text as v`,
        { requestId: "req-slow-1" },
      );
      assert.equal(rows[0].v, value);
      console.error = original;
      const slow = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "slow transaction");
      assert.ok(slow, `a slow transaction line is logged (got ${lines.join(" | ")})`);
      assert.equal(slow.request_id, "req-slow-1");
      assert.equal(slow.role, "anon");
      assert.equal(slow.statements.length, 1);
      assert.match(slow.statements[0], /pg_sleep/);
      assert.ok(!JSON.stringify(slow).includes(value), "no statement value reaches the log line");
      const found = await admin`select role_name, calls from monitoring.find_statements(${slow.statements[0]})`;
      assert.ok(
        found.some((f) => f.role_name === "anon" && Number(f.calls) >= 1),
        "its pg_stat_statements entry is found",
      );
    } finally {
      console.error = original;
      await admin.end();
      await db.end();
    }
  },
);

Deno.test("slow transaction log: texts are whitespace-collapsed and cut at 300 characters", () => {
  assert.equal(logText("select\n  1,\t2 "), "select 1, 2");
  const long = logText(`select ${"x, ".repeat(200)}1`);
  assert.equal(long.length, 301);
  assert.ok(long.endsWith("…"));
});
