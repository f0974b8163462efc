// Service clients of a team, managed by the team's owners under their user token (nobody else: the SQL
// functions check ownership as the caller, so a non-owner sees "no such team / client" and an empty list).
// POST   /functions/v1/service-clients                     { team_id, name, scopes }  → 201, the secret shown once
// GET    /functions/v1/service-clients?team_id=<uuid>      → { clients: [...] } (never a secret or its hash)
// POST   /functions/v1/service-clients/<id>/disable        → 200; revokes every token of the client
// POST   /functions/v1/service-clients/<id>/rotate-secret  → 200 { client_id, client_secret }; revokes its tokens
// DELETE /functions/v1/service-clients/<id>                → 204
// Errors: 401 without a valid user token, 403 for other tokens (anon, service), 400 INVALID_INPUT (bad name,
// unknown scope), 404 NOT_FOUND (no such team or client *for this caller*).
import { authenticate, type Principal, principalOf, requestIdOf } from "../_shared/auth.ts";
import { hashClientSecret, newClientSecret, pepper } from "../_shared/client-secret.ts";
import { database, DbError } from "../_shared/db.ts";
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../_shared/errors.ts";
import { createApp } from "../_shared/http.ts";
import { loadConfig } from "../_shared/config.ts";

loadConfig();
const app = createApp("/service-clients");
app.use("*", authenticate({ required: true }));

const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a uuid");
const ClientId = z.string().regex(/^cpc_[a-z0-9]{1,60}$/i, "must be a client id (cpc_…)");
const Create = z.object({
  team_id: Uuid,
  name: z.string().trim().min(1).max(200),
  scopes: z.union([z.string(), z.array(z.string().min(1).max(100)).min(1).max(50)])
    .transform((s) => (Array.isArray(s) ? s : s.split(" ").filter(Boolean))),
}).strict();

function owner(c: Context): Principal {
  const p = principalOf(c);
  if (p.kind !== "user") {
    throw new ApiError(403, "FORBIDDEN", "service clients are managed by team owners with their user token");
  }
  return p;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ApiError(
      400,
      "INVALID_INPUT",
      r.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
    );
  }
  return r.data;
}

/** P0002 from the SQL functions: no such team or client for this caller (the same for both reasons). */
function notFound(e: unknown): never {
  if (e instanceof DbError && e.pgCode === "P0002") {
    throw new ApiError(404, "NOT_FOUND", "no such team or service client");
  }
  throw e;
}

async function secretAndHash() {
  const p = pepper();
  if (!p) {
    throw new ApiError(503, "NOT_CONFIGURED", "client secrets cannot be made here", undefined, { "Retry-After": "60" });
  }
  const secret = newClientSecret();
  return { secret, hash: await hashClientSecret(secret, p) };
}

app.post("/", async (c) => {
  const p = owner(c);
  const body = parse(Create, await c.req.json().catch(() => undefined));
  const { secret, hash } = await secretAndHash();
  const [row] = await database().queryAs<Record<string, unknown>[]>(
    p.claims,
    (tx) =>
      tx`select client_id, team_id, name, allowed_scopes, created_at
           from private.create_service_client(${body.team_id}, ${body.name},
                pg_catalog.string_to_array(${body.scopes.join(" ")}, ' '), ${hash})`,
    { requestId: requestIdOf(c) },
  ).catch(notFound);
  return c.json({ ...row, client_secret: secret }, 201, { "Cache-Control": "no-store" });
});

app.get("/", async (c) => {
  const p = owner(c);
  const teamId = parse(Uuid, c.req.query("team_id"));
  const clients = await database().queryAs(
    p.claims,
    (tx) => tx`select * from private.list_service_clients(${teamId})`,
    { readOnly: true, requestId: requestIdOf(c) },
  );
  return c.json({ clients });
});

app.post("/:id/disable", async (c) => {
  const p = owner(c);
  const id = parse(ClientId, c.req.param("id"));
  await database().queryAs(p.claims, (tx) => tx`select private.disable_service_client(${id}) is null as done`, {
    requestId: requestIdOf(c),
  }).catch(notFound);
  return c.json({ client_id: id, enabled: false });
});

app.post("/:id/rotate-secret", async (c) => {
  const p = owner(c);
  const id = parse(ClientId, c.req.param("id"));
  const { secret, hash } = await secretAndHash();
  await database().queryAs(
    p.claims,
    (tx) => tx`select private.rotate_service_client_secret(${id}, ${hash}) is null as done`,
    { requestId: requestIdOf(c) },
  ).catch(notFound);
  return c.json({ client_id: id, client_secret: secret }, 200, { "Cache-Control": "no-store" });
});

app.delete("/:id", async (c) => {
  const p = owner(c);
  const id = parse(ClientId, c.req.param("id"));
  await database().queryAs(p.claims, (tx) => tx`select private.delete_service_client(${id}) is null as done`, {
    requestId: requestIdOf(c),
  }).catch(notFound);
  return c.body(null, 204);
});

export default { fetch: app.fetch };
