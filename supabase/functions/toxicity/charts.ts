// Chart routes of the toxicity function (issue 11), mounted under /toxicity by app.ts:
//   GET /toxicity/molecules/{ref}/chart   ref = uuid, InChIKey or CAS: LD50s on a log scale with qualifiers
//                                         visible, among other CPAs; assay hit calls by endpoint
//   GET /toxicity/mixtures/{id}/chart     a saved mixture's component contributions to Σ Cᵢ/ATEᵢ (and % w/w);
//                                         takes GET /mixtures/{id}'s query (solution_density, water, carrier…)
// Each answers a Vega-Lite spec (application/json, the default), or SVG rendered on the server with
// `Accept: image/svg+xml` or `?format=svg` (chart-render.ts). Rows are read as the caller: a team's private
// molecule or record is only ever drawn for that team. Errors: 400 INVALID_INPUT / INVALID_IDENTIFIER,
// 403 insufficient_scope (service tokens need toxicity:read), 404 NOT_FOUND, 422 AMBIGUOUS_MOLECULE.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { requestIdOf } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { validate } from "../_shared/validation.ts";
import { moleculeChartData, moleculesByRef } from "./chart-data.ts";
import { renderSvg } from "./chart-render.ts";
import { type ContributionRow, mixtureChartSpec, moleculeChartSpec, type VegaLiteSpec } from "./chart-spec.ts";
import { checkRefs, refKind } from "./mixture-data.ts";
import { ErrorBody, MixtureId } from "./mixture-schemas.ts";
import { callerFor, estimateSaved } from "./mixtures.ts";
import type { RouteDoc } from "./route-docs.ts";

/** What these routes need: the isolate's database (called per request). */
export type ChartDeps = { database: () => Database };

const Format = z.enum(["vega-lite", "svg"]).optional().meta({
  description: "vega-lite (JSON, default) or svg; `Accept: image/svg+xml` also selects svg.",
});
const MoleculeRefParam = z.object({
  ref: z.string().max(64).refine((r) => refKind(r) !== "name", "must be a uuid, an InChIKey or a CAS number")
    .meta({ description: "Molecule id (uuid), InChIKey or CAS registry number." }),
});
const MoleculeChartQuery = z.strictObject({ format: Format });
const MixtureChartQuery = z.strictObject({
  format: Format,
  solution_density: z.coerce.number().positive().max(30).optional(),
  water: z.union([z.literal("remainder"), z.coerce.number().min(0).max(100)]).optional(),
  carrier: z.string().trim().min(1).max(200).optional(),
  carrier_reason: z.string().trim().min(1).max(500).optional(),
}).refine((q) => (q.carrier === undefined) === (q.carrier_reason === undefined), {
  message: "carrier and carrier_reason go together",
  path: ["carrier"],
});

/** A chart's answer in the format the caller asked for; varies by caller and by format. */
async function answer(c: Context, spec: VegaLiteSpec, format: "vega-lite" | "svg" | undefined) {
  const headers = { "Cache-Control": "private, max-age=60", Vary: "Authorization, Accept" };
  const accept = c.req.header("accept") ?? "";
  if (format === "svg" || (format === undefined && /\bimage\/svg\+xml\b/i.test(accept))) {
    const svg = await renderSvg(spec);
    return c.body(svg, 200, {
      ...headers,
      "Content-Type": "image/svg+xml; charset=utf-8",
      // A browser opening the SVG directly runs nothing in it, whatever it contains.
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
      "X-Content-Type-Options": "nosniff",
    });
  }
  return c.json(spec, 200, headers);
}

/** The routes (relative to /toxicity) and their OpenAPI descriptions. */
export function chartRoutes({ database }: ChartDeps): Hono {
  const app = new Hono();

  app.get(
    "/molecules/:ref/chart",
    validate("param", MoleculeRefParam),
    validate("query", MoleculeChartQuery),
    async (c) => {
      const p = callerFor(c);
      const { ref } = c.req.valid("param");
      const { format } = c.req.valid("query");
      checkRefs([ref], () => "param.ref");
      const r = await database().withClaims(p.claims, async (tx) => {
        const found = await moleculesByRef(tx, ref);
        if (found.length !== 1) return { found };
        return { found, data: await moleculeChartData(tx, found[0]) };
      }, { readOnly: true, requestId: requestIdOf(c) });
      if (r.found.length === 0) throw new ApiError(404, "NOT_FOUND", "no such molecule");
      if (!r.data) {
        throw new ApiError(
          422,
          "AMBIGUOUS_MOLECULE",
          "more than one molecule matches: give its id",
          r.found.map((m) => ({ id: m.id, name: m.name, visibility: m.visibility })),
        );
      }
      return await answer(c, moleculeChartSpec(r.found[0].name, r.data.points, r.data.hits), format);
    },
  );

  app.get("/mixtures/:id/chart", validate("param", MixtureId), validate("query", MixtureChartQuery), async (c) => {
    const p = callerFor(c);
    const { id } = c.req.valid("param");
    const { format, ...q } = c.req.valid("query");
    const r = await estimateSaved(database(), p, id, q, requestIdOf(c));
    if (!r) throw new ApiError(404, "NOT_FOUND", "no such mixture");
    const acute = r.estimate?.acute_oral ?? null;
    const rows: ContributionRow[] = acute
      ? acute.components.map((x) => ({
        component: x.name,
        percent_w_w: x.percent_w_w,
        share: x.estimate_share,
        status: x.status,
        used: x.used
          ? `${x.used.qualifier === "=" ? "" : x.used.qualifier + " "}${x.used.ate} mg/kg (${x.used.why})`
          : "none",
      }))
      : r.components.map((x) => ({
        component: x.molecule.name,
        percent_w_w: null,
        share: null,
        status: "not computed",
        used: "none",
      }));
    const subtitle = acute
      ? `ATE_mix (estimate) ${acute.estimate.qualifier ?? ""} ${
        acute.estimate.ate_mix === null ? "not determinate" : `${Math.round(acute.estimate.ate_mix)} mg/kg`
      }; GHS: ${acute.ghs.category ?? "not determinate"}`
      : `estimate not computed: ${
        r.not_computed_reason?.message ?? r.estimate?.not_computed.map((n) => n.reason).join("; ") ?? ""
      }`;
    return await answer(c, mixtureChartSpec(r.mixture.name, rows, subtitle), format);
  });

  return app;
}

const VegaLite = z.record(z.string(), z.unknown()).meta({
  description: "A Vega-Lite v6 spec with inline data (validates against vega-lite's schema)",
});
const CHART_RESPONSES = {
  200: {
    description: "The chart: a Vega-Lite spec, or SVG (Accept: image/svg+xml or ?format=svg)",
    content: { "application/json": VegaLite, "image/svg+xml": { type: "string" as const } },
  },
  400: { description: "Bad input", content: { "application/json": ErrorBody } },
  403: { description: "A service token without toxicity:read", content: { "application/json": ErrorBody } },
  404: { description: "Nothing this caller may read", content: { "application/json": ErrorBody } },
};

export const CHART_ROUTE_DOCS: RouteDoc[] = [
  {
    method: "get",
    path: "/molecules/{ref}/chart",
    summary: "A molecule's LD50s (log scale, qualifiers visible) among other CPAs, and its hit calls by endpoint",
    scopes: ["toxicity:read"],
    params: MoleculeRefParam,
    query: MoleculeChartQuery,
    responses: {
      ...CHART_RESPONSES,
      422: { description: "AMBIGUOUS_MOLECULE", content: { "application/json": ErrorBody } },
    },
  },
  {
    method: "get",
    path: "/mixtures/{id}/chart",
    summary: "A saved mixture's component contributions to the GHS additivity sum, and % w/w",
    scopes: ["toxicity:read"],
    params: MixtureId,
    query: MixtureChartQuery,
    responses: CHART_RESPONSES,
  },
];
