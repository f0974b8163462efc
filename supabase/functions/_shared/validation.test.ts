// validate(): schemas as middleware on an app made by createApp, in-process. No database.
import assert from "node:assert/strict";
import { z } from "zod";
import { createApp } from "./http.ts";
import { validate } from "./validation.ts";

function app() {
  const a = createApp("/v", {});
  a.get("/items", validate("query", z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) })), (c) => {
    const { limit } = c.req.valid("query");
    return c.json({ limit });
  });
  a.post(
    "/items",
    validate("json", z.strictObject({ name: z.string().min(1), secret: z.string().min(12) })),
    (c) => c.json({ created: c.req.valid("json").name }, 201),
  );
  return a;
}

Deno.test("a valid request reaches the handler with the parsed value (defaults applied, strings coerced)", async () => {
  assert.deepEqual(await (await app().request("/v/items")).json(), { limit: 20 });
  assert.deepEqual(await (await app().request("/v/items?limit=5")).json(), { limit: 5 });
  const r = await app().request("/v/items", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "DMSO", secret: "long enough secret" }),
  });
  assert.equal(r.status, 201);
  assert.deepEqual(await r.json(), { created: "DMSO" });
});

Deno.test("an invalid request is 400 INVALID_INPUT with one detail per problem, naming target and path", async () => {
  const q = await app().request("/v/items?limit=1000");
  const qb = await q.json();
  assert.equal(q.status, 400);
  assert.equal(qb.error.code, "INVALID_INPUT");
  assert.deepEqual(qb.error.details.map((d: { target: string; path: string }) => [d.target, d.path]), [
    ["query", "limit"],
  ]);
  const j = await app().request("/v/items", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "", secret: "hunter2", extra: 1 }),
  });
  const jb = await j.json();
  assert.equal(j.status, 400);
  assert.equal(jb.error.code, "INVALID_INPUT");
  const paths = jb.error.details.map((d: { path: string }) => d.path).sort();
  assert.deepEqual(paths, ["", "name", "secret"], "the unknown key (at the root), the empty name, the short secret");
  assert.doesNotMatch(JSON.stringify(jb), /hunter2/, "a value sent is never echoed");
});

Deno.test("a body that is not JSON is a 4xx with a code, never a 500", async () => {
  const r = await app().request("/v/items", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{not json",
  });
  assert.equal(r.status, 400);
  assert.equal(typeof (await r.json()).error.code, "string");
});
