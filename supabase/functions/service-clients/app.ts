// Service clients of a team, managed by the team's owners under their user token (nobody else: the SQL
// functions check ownership as the caller, so a non-owner sees "no such team / client" and an empty list).
// POST   /functions/v1/service-clients                     { team_id, name, scopes }  → 201, the secret shown once
// GET    /functions/v1/service-clients?team_id=<uuid>      → { clients: [...] } (never a secret or its hash)
// POST   /functions/v1/service-clients/<id>/disable        → 200; revokes every token of the client
// POST   /functions/v1/service-clients/<id>/rotate-secret  → 200 { client_id, client_secret }; revokes its tokens
// DELETE /functions/v1/service-clients/<id>                → 204
// Errors: 401 without a valid user token, 403 for other tokens (anon, service), 400 INVALID_INPUT (bad name,
// unknown scope), 404 NOT_FOUND (no such team or client *for this caller*).
// This module is the app factory (routes and schemas); index.ts wires it (docs/edge-functions.md).
import type { Context } from "hono";
import { z } from "zod";
import { authenticate, type Principal, principalOf, requestIdOf } from "../_shared/auth.ts";
import { hashClientSecret, newClientSecret, pepper } from "../_shared/client-secret.ts";
import { type Database, DbError } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { createApp } from "../_shared/http.ts";
import { validate } from "../_shared/validation.ts";

/** What the service-clients app needs: the isolate's database (called per request) and the environment. */
export type ServiceClientsDeps = {
  database: () => Database;
  /** CRYO_CORS_ORIGINS, CRYO_RATE_LIMIT_* (see _shared/http.ts); defaults to the process environment. */
  env?: Record<string, string | undefined>;
};

const Uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a uuid");
const ClientId = z.string().regex(/^cpc_[a-z0-9]{1,60}$/i, "must be a client id (cpc_…)");
const Create = z.strictObject({
  team_id: Uuid,
  name: z.string().trim().min(1).max(200),
  scopes: z.union([z.string(), z.array(z.string().min(1).max(100)).min(1).max(50)])
    .transform((s) => (Array.isArray(s) ? s : s.split(" ").filter(Boolean))),
});
const TeamQuery = z.strictObject({ team_id: Uuid });
const ClientParam = z.object({ id: ClientId });

function owner(c: Context): Principal {
  const p = principalOf(c);
  if (p.kind !== "user") {
    throw new ApiError(403, "FORBIDDEN", "service clients are managed by team owners with their user token");
  }
  return p;
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

/** The Hono app serving /service-clients (every route needs a user token of a team owner). */
export function createServiceClientsApp({ database, env }: ServiceClientsDeps) {
  const app = createApp("/service-clients", env);
  app.use("*", authenticate({ required: true }));

  app.post("/", validate("json", Create), async (c) => {
    const p = owner(c);
    const body = c.req.valid("json");
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

  app.get("/", validate("query", TeamQuery), async (c) => {
    const p = owner(c);
    const { team_id } = c.req.valid("query");
    const clients = await database().queryAs(
      p.claims,
      (tx) => tx`select * from private.list_service_clients(${team_id})`,
      { readOnly: true, requestId: requestIdOf(c) },
    );
    return c.json({ clients });
  });

  app.post("/:id/disable", validate("param", ClientParam), async (c) => {
    const p = owner(c);
    const { id } = c.req.valid("param");
    await database().queryAs(p.claims, (tx) => tx`select private.disable_service_client(${id}) is null as done`, {
      requestId: requestIdOf(c),
    }).catch(notFound);
    return c.json({ client_id: id, enabled: false });
  });

  app.post("/:id/rotate-secret", validate("param", ClientParam), async (c) => {
    const p = owner(c);
    const { id } = c.req.valid("param");
    const { secret, hash } = await secretAndHash();
    await database().queryAs(
      p.claims,
      (tx) => tx`select private.rotate_service_client_secret(${id}, ${hash}) is null as done`,
      { requestId: requestIdOf(c) },
    ).catch(notFound);
    return c.json({ client_id: id, client_secret: secret }, 200, { "Cache-Control": "no-store" });
  });

  app.delete("/:id", validate("param", ClientParam), async (c) => {
    const p = owner(c);
    const { id } = c.req.valid("param");
    await database().queryAs(p.claims, (tx) => tx`select private.delete_service_client(${id}) is null as done`, {
      requestId: requestIdOf(c),
    }).catch(notFound);
    return c.body(null, 204);
  });

  return app;
}
