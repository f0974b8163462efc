// Who can reach the local stack's database and secrets: the trusted Unix socket only by the OS user running
// Postgres (and root), no secret in any process argument the stack spawns, and a pooler admin console that
// wants its own random password. Against the test stack (CRYO_STACK=test).
import { test } from "node:test";
import assert from "node:assert/strict";
import cp from "node:child_process";
import { statSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { readSecrets, stackConfig } from "../../scripts/lib/config.mjs";
import { pgBin } from "../../scripts/lib/proc.mjs";
import { POOLER_ADMIN } from "../../scripts/lib/pgbouncer.mjs";
import { psql, SOCKET_DIR_MODE } from "../../scripts/lib/postgres.mjs";
import { start } from "../../scripts/stack.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
const isRoot = process.getuid?.() === 0;

test("the socket directory is the Postgres OS user's alone (0700) and so is the socket", () => {
  const st = statSync(c.run);
  assert.equal(st.mode & 0o777, SOCKET_DIR_MODE);
  assert.equal(SOCKET_DIR_MODE, 0o700);
  if (isRoot) {
    const pgUid = Number(cp.spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
    assert.equal(st.uid, pgUid, "owned by postgres");
  }
  const r = psql(c, "show unix_socket_permissions", { extra: ["-At"] });
  assert.equal(r.stdout.trim(), "0700");
});

test("another OS user cannot use the trusted socket (nor become any role through it)", {
  skip: !isRoot && "needs root to act as another OS user",
}, () => {
  const r = cp.spawnSync("runuser", [
    "-u",
    "nobody",
    "--",
    pgBin("psql"),
    "-X",
    "-At",
    "-h",
    c.run,
    "-p",
    String(c.ports.db),
    "-U",
    "supabase_admin",
    "-d",
    "postgres",
    "-c",
    "select 1",
  ], { encoding: "utf8" });
  assert.notEqual(r.status, 0, "refused");
  assert.match(r.stderr, /Permission denied|No such file/);
  // The stack's own calls (root here) still work.
  assert.equal(psql(c, "select 1", { extra: ["-At"] }).stdout.trim(), "1");
});

test("no secret appears in the arguments of any process the stack spawns (they go on stdin or in files)", async () => {
  const secrets = readSecrets(c);
  const seen = [];
  const orig = { spawn: cp.spawn, spawnSync: cp.spawnSync, execFile: cp.execFile, execFileSync: cp.execFileSync };
  for (const name of Object.keys(orig)) {
    cp[name] = (cmd, args, opts) => {
      seen.push({
        argv: [cmd, ...(Array.isArray(args) ? args : [])].join(" "),
        input: String((Array.isArray(args) ? opts : args)?.input ?? ""),
      });
      return orig[name](cmd, args, opts);
    };
  }
  syncBuiltinESMExports();
  try {
    await start(c); // a start of the running stack: platform, migrations check, the cryo_api password, pooler, functions
  } finally {
    Object.assign(cp, orig);
    syncBuiltinESMExports();
  }
  assert.ok(seen.some((s) => s.argv.includes("psql")), "the start ran psql");
  assert.ok(
    seen.some((s) => s.input.includes(secrets.apiPassword)),
    "the cryo_api password was handed over (on stdin)",
  );
  for (const s of seen) {
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(!s.argv.includes(value), `${name} in the arguments of: ${s.argv.replace(value, "<secret>")}`);
    }
  }
});

test("the pooler's admin console refuses the default password and accepts only the one in .local secrets", () => {
  const admin = (user, password) =>
    cp.spawnSync(pgBin("psql"), [
      "-X",
      "-At",
      "-h",
      "127.0.0.1",
      "-p",
      String(c.ports.pooler),
      "-U",
      user,
      "-d",
      "pgbouncer",
      "-c",
      "show pools",
    ], { encoding: "utf8", env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" } });
  for (const user of ["postgres", POOLER_ADMIN]) {
    const r = admin(user, "postgres");
    assert.notEqual(r.status, 0, `${user}/postgres refused`);
    assert.match(r.stderr, /password authentication failed|SASL authentication failed|no such user|not allowed/);
  }
  const ok = admin(POOLER_ADMIN, readSecrets(c).poolerAdminPassword);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /cryo_api/);
});
