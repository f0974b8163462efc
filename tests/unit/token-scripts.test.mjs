// The token CLIs as people run them: `npm run service-client` (create / list / rotate-secret / disable /
// delete, JSON out, the secret usable at the running token endpoint) and `npm run keys -- list`.
// Against the running test stack; skipped when none is up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";

const c = stackConfig(process.env.CRYO_STACK || "test");
const cli = (script, ...args) => {
  const r = spawnSync(process.execPath, [`scripts/${script}`, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: process.env,
  });
  return { code: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : null, stderr: r.stderr };
};
const token = (id, secret) =>
  fetch(`${c.functionsUrl}/service-token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

test("service-client: create prints client_id and client_secret; the secret gets a token; rotate/disable/delete", async (t) => {
  const up = await fetch(`${c.functionsUrl}/service-token/.well-known/jwks.json`).then((r) => r.ok, () => false);
  if (!up) return t.skip("no running stack");
  const made = cli(
    "service-client.mjs",
    "create",
    "--team",
    "Alpha",
    "--name",
    "cli test",
    "--scope",
    "molecules:read metrics:read",
  );
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.json.client_id, /^cpc_/);
  assert.match(made.json.client_secret, /^cps_/);
  assert.deepEqual(made.json.allowed_scopes, ["metrics:read", "molecules:read"]);
  const first = await token(made.json.client_id, made.json.client_secret);
  assert.equal(first.status, 200);
  assert.equal(first.body.scope, "metrics:read molecules:read");
  const listed = cli("service-client.mjs", "list", "--team", "Alpha");
  assert.ok(listed.json.some((x) => x.client_id === made.json.client_id && x.enabled));
  assert.ok(!JSON.stringify(listed.json).includes(made.json.client_secret));
  const rotated = cli("service-client.mjs", "rotate-secret", made.json.client_id);
  assert.equal((await token(made.json.client_id, made.json.client_secret)).status, 401, "old secret refused");
  assert.equal((await token(made.json.client_id, rotated.json.client_secret)).status, 200, "new secret works");
  assert.equal(cli("service-client.mjs", "disable", made.json.client_id).code, 0);
  assert.equal((await token(made.json.client_id, rotated.json.client_secret)).status, 401, "disabled");
  assert.equal(cli("service-client.mjs", "delete", made.json.client_id).code, 0);
  assert.equal(
    cli("service-client.mjs", "create", "--team", "No such team", "--name", "x", "--scope", "molecules:read").code,
    1,
  );
  assert.equal(cli("service-client.mjs", "frobnicate").code, 2);
});

test("keys list: one current key, a standby, never a private part", () => {
  const r = cli("keys.mjs", "list");
  assert.equal(r.code, 0, r.stderr);
  const states = r.json.keys.map((k) => k.state);
  assert.equal(states.filter((s) => s === "current").length, 1);
  assert.ok(states.includes("standby"));
  assert.ok(!JSON.stringify(r.json).includes('"d"'));
});
