// The OpenAPI 3.1 document of the toxicity function, generated from every route module's RouteDoc list (the
// same zod schemas that validate requests and shape answers) with zod 4's z.toJSONSchema (JSON Schema
// 2020-12, the dialect of OpenAPI 3.1). Served at GET /functions/v1/toxicity/openapi.json; nothing in it is
// written by hand but the titles and the security schemes.
import { z } from "zod";
import type { RouteDoc } from "./route-docs.ts";

type Json = Record<string, unknown>;

/** JSON Schema of a zod schema as a request (`input`: defaults optional) or a response (`output`) carries it. */
function jsonSchema(s: z.ZodType, io: "input" | "output"): Json {
  const j = z.toJSONSchema(s, { target: "draft-2020-12", io, unrepresentable: "any" }) as Json;
  delete j.$schema;
  return j;
}

/** Path or query parameters of an object schema, one OpenAPI parameter per property. */
function parameters(s: z.ZodType | undefined, where: "path" | "query"): Json[] {
  if (!s) return [];
  const j = jsonSchema(s, "input");
  const props = (j.properties ?? {}) as Record<string, Json>;
  const required = new Set((j.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function content(byType: Record<string, z.ZodType | { type: "string" }>, io: "input" | "output"): Json {
  return Object.fromEntries(
    Object.entries(byType).map((
      [type, s],
    ) => [type, { schema: s instanceof z.ZodType ? jsonSchema(s, io) : { ...s } }]),
  );
}

/** The document's own route. */
export const OPENAPI_ROUTE_DOCS: RouteDoc[] = [{
  method: "get",
  path: "/openapi.json",
  summary: "This OpenAPI 3.1 document",
  responses: { 200: { description: "the document", content: { "application/json": { type: "string" } } } },
}];

const SCOPES: Record<string, string> = {
  "toxicity:read": "read toxicity data (public, and the client's team's)",
  "toxicity:import": "import toxicity data for the client's team",
  "molecules:read": "read molecules (public, and the client's team's): needed to see the molecules records are about",
  "metrics:read": "read Prometheus metrics",
};

/**
 * The OpenAPI 3.1 document of `docs` (paths relative to the function, e.g. `/lookup`), served under
 * `/functions/v1/toxicity`. Each operation accepts no token (anonymous: public data), a Supabase Auth user
 * token, or a service token with the scopes the RouteDoc names.
 */
export function openApiDocument(docs: RouteDoc[], base = "/toxicity"): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const d of docs) {
    const scopes = d.scopes ?? [];
    const serviceOnly = scopes.includes("metrics:read");
    const op: Json = {
      operationId: `${d.method}${
        (base + d.path).replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, ch) => (ch ?? "").toUpperCase())
      }`,
      summary: d.summary,
      ...(d.description ? { description: d.description } : {}),
      security: serviceOnly ? [{ serviceToken: scopes }] : [{}, { userToken: [] }, { serviceToken: scopes }],
      parameters: [...parameters(d.params, "path"), ...parameters(d.query, "query")],
      responses: Object.fromEntries(
        Object.entries(d.responses).map(([status, r]) => [
          String(status),
          { description: r.description, ...(r.content ? { content: content(r.content, "output") } : {}) },
        ]),
      ),
    };
    if (d.body) op.requestBody = { required: true, content: content(d.body, "input") };
    (paths[base + d.path] ??= {})[d.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "CryoProtect toxicity API",
      version: "1.0.0",
      description:
        "Toxicity profiles, batch lookup (JSON or CSV), search, mixture estimates and charts of the CryoProtect database. Anonymous callers read public data; users their teams' too; service clients need the scopes named per operation. See docs/toxicity-api.md.",
    },
    servers: [{
      url: "/functions/v1",
      description: "the project's edge functions (https://<project>.supabase.co/functions/v1)",
    }],
    components: {
      securitySchemes: {
        userToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "a Supabase Auth access token (or the anon key)",
        },
        serviceToken: {
          type: "oauth2",
          description: "a CryoProtect service token (client credentials, docs/tokens.md)",
          flows: { clientCredentials: { tokenUrl: "/functions/v1/service-token", scopes: SCOPES } },
        },
      },
    },
    paths,
  };
}
