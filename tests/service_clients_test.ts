// The service-clients function: team owners manage their team's clients under their user token; nobody
// else can (other members, owners of other teams, service tokens, anon). Rotation and disabling revoke tokens.
import assert from "node:assert/strict";
import { FUNCTIONS_URL, signToken } from "./_helpers.ts";
import { createClient, getToken, TEAMS, tokenRequest } from "./_tokens.ts";

const API = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
const URL_ = `${FUNCTIONS_URL}/service-clients`;
const ALICE = "a11ce000-0000-4000-8000-000000000001"; // owner of Alpha
const CAROL = "ca201000-0000-4000-8000-000000000003"; // viewer of Alpha
const user = (sub: string) => signToken({ iss: `${API}/auth/v1`, aud: "authenticated", role: "authenticated", sub });

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const r = await fetch(`${URL_}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

const ping = async (token: string) => {
  const r = await fetch(`${FUNCTIONS_URL}/health/ping`, { headers: { authorization: `Bearer ${token}` } });
  await r.body?.cancel();
  return r.status;
};

Deno.test("an owner creates (secret shown once), lists, rotates, disables and deletes a client of their team", async () => {
  const alice = await user(ALICE);
  const created = await call("POST", "", alice, {
    team_id: TEAMS.Alpha,
    name: "lims",
    scopes: "molecules:read metrics:read",
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("cache-control"), "no-store");
  const { client_id, client_secret } = created.body;
  assert.match(client_id, /^cpc_[a-z2-7]{24}$/);
  assert.match(client_secret, /^cps_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(created.body.allowed_scopes, ["metrics:read", "molecules:read"]);
  const client = { client_id, client_secret, team_id: TEAMS.Alpha };
  const t1 = await getToken(client);
  assert.equal(await ping(t1), 200);

  const list = await call("GET", `?team_id=${TEAMS.Alpha}`, alice);
  assert.equal(list.status, 200);
  const mine = list.body.clients.find((x: { client_id: string }) => x.client_id === client_id);
  assert.ok(mine, "listed");
  assert.equal(mine.enabled, true);
  assert.ok(!JSON.stringify(list.body).includes(client_secret), "never the secret");
  assert.ok(!("secret_hash" in mine), "never the hash");

  const rotated = await call("POST", `/${client_id}/rotate-secret`, alice);
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.client_secret, client_secret);
  assert.equal(await ping(t1), 401, "tokens issued before the rotation are revoked");
  const old = await tokenRequest({ grant_type: "client_credentials", client_id, client_secret });
  assert.equal(old.status, 401);
  assert.equal(old.body.error, "invalid_client", "the old secret no longer works");
  const t2 = await getToken({ ...client, client_secret: rotated.body.client_secret });
  assert.equal(await ping(t2), 200, "the new secret does, at once");

  assert.equal((await call("POST", `/${client_id}/disable`, alice)).status, 200);
  assert.equal(await ping(t2), 401, "disabling revokes every token");
  const again = await tokenRequest({
    grant_type: "client_credentials",
    client_id,
    client_secret: rotated.body.client_secret,
  });
  assert.equal(again.body.error, "invalid_client");
  assert.equal((await call("DELETE", `/${client_id}`, alice)).status, 204);
  assert.equal((await call("DELETE", `/${client_id}`, alice)).status, 404);
});

Deno.test("nobody but the team's owners manages its clients", async () => {
  const alice = await user(ALICE);
  const carol = await user(CAROL);
  const target = await createClient("Alpha", "molecules:read");
  const beta = await createClient("Beta", "molecules:read");
  // A member who is not an owner, and an owner of another team: 404 (as if nothing existed), empty lists.
  assert.equal(
    (await call("POST", "", carol, { team_id: TEAMS.Alpha, name: "x", scopes: ["molecules:read"] })).status,
    404,
  );
  assert.deepEqual((await call("GET", `?team_id=${TEAMS.Alpha}`, carol)).body.clients, []);
  assert.equal((await call("POST", `/${target.client_id}/disable`, carol)).status, 404);
  assert.equal((await call("POST", `/${target.client_id}/rotate-secret`, carol)).status, 404);
  assert.equal((await call("DELETE", `/${target.client_id}`, carol)).status, 404);
  assert.equal(
    (await call("POST", "", alice, { team_id: TEAMS.Beta, name: "x", scopes: ["molecules:read"] })).status,
    404,
  );
  assert.deepEqual((await call("GET", `?team_id=${TEAMS.Beta}`, alice)).body.clients, []);
  assert.equal((await call("POST", `/${beta.client_id}/disable`, alice)).status, 404);
  // Not a user at all: a service token (even of the team) or the anon key is 403; no token is 401.
  const service = await getToken(target);
  const anon = await signToken({ iss: `${API}/auth/v1`, role: "anon" });
  for (const t of [service, anon]) {
    const r = await call("GET", `?team_id=${TEAMS.Alpha}`, t);
    assert.equal(r.status, 403);
  }
  const none = await call("GET", `?team_id=${TEAMS.Alpha}`, null);
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
  assert.equal(await ping(service), 200, "the target client was left alone");
});

Deno.test("bad input: 400 INVALID_INPUT naming the problem; unknown scopes refused", async () => {
  const alice = await user(ALICE);
  const cases: [unknown, RegExp][] = [
    [{ team_id: TEAMS.Alpha, name: "x", scopes: "root:all" }, /unknown scope/],
    [{ team_id: "nope", name: "x", scopes: "molecules:read" }, /team_id/],
    [{ team_id: TEAMS.Alpha, name: " ", scopes: "molecules:read" }, /name/],
    [{ team_id: TEAMS.Alpha, name: "x", scopes: [] }, /scopes/],
    [{ team_id: TEAMS.Alpha, name: "x", scopes: "molecules:read", role: "postgres" }, /role|Unrecognized/i],
  ];
  for (const [body, msg] of cases) {
    const r = await call("POST", "", alice, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.code, "INVALID_INPUT");
    assert.match(r.body.error.message, msg);
  }
  assert.equal((await call("POST", "/not-a-client/disable", alice)).status, 400);
});
