// Mixture routes of the toxicity function (issue 11), mounted under /toxicity by app.ts:
//   POST /toxicity/mixtures/estimate   an unsaved composition → the estimate (EstimateRequest → EstimateResponse)
//   GET  /toxicity/mixtures/{id}       a saved mixture the caller may read, with its estimate
//                                      (?solution_density=&water=&carrier=&carrier_reason=: what is not stored)
// The estimate is _shared/mixtures/estimate.ts (conversions → GHS additivity → qv* → known pairs); this module
// reads what it needs as the caller (mixture-data.ts, RLS decides) and maps refusals to 4xx:
//   400 INVALID_INPUT (schema), a MixtureInputError code (UNKNOWN_UNIT, NON_POSITIVE_CONCENTRATION,
//   PERCENT_OVER_100, DUPLICATE_COMPONENT, MOLECULAR_WEIGHT_REQUIRED, …), INVALID_IDENTIFIER;
//   422 UNKNOWN_MOLECULE / AMBIGUOUS_MOLECULE (details name the request path, never echo the value);
//   403 insufficient_scope (service tokens need toxicity:read); 404 NOT_FOUND (no such mixture for this caller).
// Nothing is written. Answers vary by caller (a team's private rows): Cache-Control private, Vary: Authorization.
import { type Context, Hono } from "hono";
import { type Principal, principalOf, requestIdOf, requireScope } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { checkAmount, CONCENTRATION_UNITS } from "../_shared/mixtures/concentration.ts";
import { MixtureInputError } from "../_shared/mixtures/errors.ts";
import { estimateMixture, type MixtureComponentInput, type MixtureEstimate } from "../_shared/mixtures/estimate.ts";
import { validate } from "../_shared/validation.ts";
import {
  checkRefs,
  componentInput,
  type MoleculeRow,
  oralCandidates,
  type RefKind,
  resolveMolecules,
  savedMixture,
  type ToxRow,
} from "./mixture-data.ts";
import {
  ErrorBody,
  EstimateRequest,
  type EstimateRequestBody,
  EstimateResponse,
  type EstimateResponseBody,
  MixtureId,
  SavedMixtureQuery,
  SCALES,
} from "./mixture-schemas.ts";
import type { RouteDoc } from "./route-docs.ts";

/** What these routes need: the isolate's database (called per request). */
export type MixtureDeps = { database: () => Database };

/** Service tokens need toxicity:read; users and anon are decided by the rows' access model. */
export function callerFor(c: Context): Principal {
  const p = principalOf(c);
  if (p.kind === "service") requireScope(p, "toxicity:read");
  return p;
}

export const VARYING_HEADERS = { "Cache-Control": "private, no-cache", Vary: "Authorization" };

/** A refusal of the estimate module as the API's 400, naming the component (a molecule name or the request path). */
export function mixtureError(e: unknown): never {
  if (e instanceof MixtureInputError) {
    // The module names an unknown unit as given: not echoed here (a request value never comes back).
    const message = e.code === "UNKNOWN_UNIT"
      ? `${e.component ? `${e.component}: ` : ""}unknown concentration unit (one of ${CONCENTRATION_UNITS.join(", ")})`
      : e.message;
    throw new ApiError(400, e.code, message, e.component === undefined ? undefined : { component: e.component });
  }
  throw e;
}

type Estimated = {
  components: EstimateResponseBody["components"];
  estimate: MixtureEstimate | null;
  not_computed_reason: { code: string; message: string } | null;
};

function valuesOf(m: MoleculeRow, records: ToxRow[]) {
  return {
    toxicity_values: records.filter((r) => r.molecule_id === m.id && r.molecule_match === "exact").map((r) => ({
      record_id: r.record_id,
      value_type: r.value_type,
      qualifier: r.qualifier,
      value: r.value,
      species: r.species,
      route: r.route,
      source: r.source,
      citation: r.citation,
    })),
    skeleton_records_ignored: records.filter((r) => r.molecule_id === m.id && r.molecule_match === "skeleton").length,
  };
}

/** The estimate of an unsaved composition, read as `p`. Throws ApiError (4xx) for bad input. */
export async function estimateComposition(
  db: Database,
  p: Principal,
  body: EstimateRequestBody,
  requestId?: string,
): Promise<Estimated> {
  const refs = body.components.map((c) => c.molecule);
  // Everything that can be refused without the database is refused first: nothing is read for bad input.
  checkRefs(refs, (i) => `components.${i}.molecule`);
  body.components.forEach((c, i) => {
    try {
      checkAmount({ name: `components.${i}`, value: c.value, unit: c.unit });
    } catch (e) {
      mixtureError(e);
    }
  });
  const { resolved, records } = await db.withClaims(p.claims, async (tx) => {
    const resolved = await resolveMolecules(tx, refs);
    const ids = [...new Set(resolved.flatMap((r) => (r.found.length === 1 ? [r.found[0].id] : [])))];
    return { resolved, records: await oralCandidates(tx, ids) };
  }, { readOnly: true, requestId });
  const unknown = resolved.flatMap((r, i) => (r.found.length === 0 ? [i] : []));
  if (unknown.length) {
    throw new ApiError(
      422,
      "UNKNOWN_MOLECULE",
      `no molecule you can read matches ${unknown.map((i) => `components.${i}.molecule`).join(", ")}`,
      unknown.map((i) => ({ target: "json", path: `components.${i}.molecule`, kind: resolved[i].kind })),
    );
  }
  const ambiguous = resolved.flatMap((r, i) => (r.found.length > 1 ? [i] : []));
  if (ambiguous.length) {
    throw new ApiError(
      422,
      "AMBIGUOUS_MOLECULE",
      `more than one molecule matches ${ambiguous.map((i) => `components.${i}.molecule`).join(", ")}: give its id`,
      ambiguous.map((i) => ({
        target: "json",
        path: `components.${i}.molecule`,
        candidates: resolved[i].found.map((m) => ({ id: m.id, name: m.name, visibility: m.visibility })),
      })),
    );
  }
  const seen = new Map<string, number>();
  resolved.forEach((r, i) => {
    const j = seen.get(r.found[0].id);
    if (j !== undefined) {
      throw new ApiError(400, "DUPLICATE_COMPONENT", `components.${j} and components.${i} are the same molecule`, {
        component: r.found[0].name,
      });
    }
    seen.set(r.found[0].id, i);
  });
  const inputs: MixtureComponentInput[] = body.components.map((c, i) =>
    componentInput(resolved[i].found[0], c, records, {
      penetrating: c.penetrating,
      reason: c.reason,
      role: c.role,
      carrier_reason: c.carrier_reason,
    })
  );
  let estimate: MixtureEstimate;
  try {
    estimate = await estimateMixture({
      components: inputs,
      solution_density: body.solution_density ?? null,
      water: body.water ?? null,
      carrier: body.carrier ?? null,
    });
  } catch (e) {
    mixtureError(e);
  }
  return {
    components: resolved.map((r, i) => ({
      input: refs[i],
      matched_by: r.kind as RefKind,
      molecule: r.found[0],
      ...valuesOf(r.found[0], records),
    })),
    estimate,
    not_computed_reason: null,
  };
}

/** A saved mixture with its estimate as `p` may read it, or null when there is none for `p`. */
export async function estimateSaved(
  db: Database,
  p: Principal,
  id: string,
  q: { solution_density?: number; water?: number | "remainder"; carrier?: string; carrier_reason?: string },
  requestId?: string,
): Promise<(Estimated & { mixture: NonNullable<EstimateResponseBody["mixture"]> }) | null> {
  const saved = await db.withClaims(p.claims, async (tx) => {
    const s = await savedMixture(tx, id);
    if (!s) return null;
    const ids = s.components.flatMap((c) => (c.molecule ? [c.molecule.id] : []));
    return { ...s, records: await oralCandidates(tx, ids) };
  }, { readOnly: true, requestId });
  if (!saved) return null;
  const readable = saved.components.filter((c) => c.molecule !== null) as {
    concentration: number;
    unit: string;
    role: string | null;
    molecule: MoleculeRow;
  }[];
  const components = readable.map((c) => ({
    input: c.molecule.id,
    matched_by: "id" as const,
    molecule: c.molecule,
    ...valuesOf(c.molecule, saved.records),
  }));
  if (readable.length < saved.components.length || readable.length === 0) {
    return {
      mixture: saved.mixture,
      components,
      estimate: null,
      not_computed_reason: {
        code: readable.length === 0 ? "EMPTY_MIXTURE" : "UNREADABLE_COMPONENT",
        message: readable.length === 0
          ? "the mixture has no component"
          : `${saved.components.length - readable.length} component(s) use a molecule you cannot read`,
      },
    };
  }
  const inputs = readable.map((c) =>
    componentInput(c.molecule, { value: c.concentration, unit: c.unit }, saved.records, {
      penetrating: c.role === "penetrating" ? true : c.role === "non_penetrating" ? false : undefined,
      reason: c.role === "non_penetrating" ? "stored as non-penetrating in the mixture" : undefined,
      role: c.role === "carrier" ? "carrier" : "ingredient",
      carrier_reason: c.role === "carrier" ? "stored as the mixture's carrier" : undefined,
    })
  );
  try {
    const estimate = await estimateMixture({
      components: inputs,
      solution_density: q.solution_density ?? null,
      water: q.water ?? null,
      carrier: q.carrier ? { name: q.carrier, reason: q.carrier_reason! } : null,
    });
    return { mixture: saved.mixture, components, estimate, not_computed_reason: null };
  } catch (e) {
    // The stored composition is not the caller's input: a refusal is reported beside the data, not as a 400.
    if (!(e instanceof MixtureInputError)) throw e;
    return {
      mixture: saved.mixture,
      components,
      estimate: null,
      not_computed_reason: { code: e.code, message: e.message },
    };
  }
}

/** The routes (relative to /toxicity) and their OpenAPI descriptions. */
export function mixtureRoutes({ database }: MixtureDeps): Hono {
  const app = new Hono();

  app.post("/mixtures/estimate", validate("json", EstimateRequest), async (c) => {
    const p = callerFor(c);
    const body = c.req.valid("json");
    const r = await estimateComposition(database(), p, body, requestIdOf(c));
    const out: EstimateResponseBody = {
      mixture: null,
      components: r.components,
      inputs: {
        solution_density: body.solution_density ?? null,
        water: body.water ?? null,
        carrier: body.carrier ?? null,
      },
      estimate: r.estimate as EstimateResponseBody["estimate"],
      not_computed_reason: null,
      scales: SCALES,
    };
    return c.json(out, 200, { "Cache-Control": "private, no-store", Vary: "Authorization" });
  });

  app.get("/mixtures/:id", validate("param", MixtureId), validate("query", SavedMixtureQuery), async (c) => {
    const p = callerFor(c);
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const r = await estimateSaved(database(), p, id, q, requestIdOf(c));
    if (!r) throw new ApiError(404, "NOT_FOUND", "no such mixture");
    const out: EstimateResponseBody = {
      mixture: r.mixture,
      components: r.components,
      inputs: {
        solution_density: q.solution_density ?? null,
        water: q.water ?? null,
        carrier: q.carrier ? { name: q.carrier, reason: q.carrier_reason! } : null,
      },
      estimate: r.estimate as EstimateResponseBody["estimate"],
      not_computed_reason: r.not_computed_reason as EstimateResponseBody["not_computed_reason"],
      scales: SCALES,
    };
    return c.json(out, 200, VARYING_HEADERS);
  });

  return app;
}

const ERRORS = {
  400: {
    description: "Bad input (INVALID_INPUT, a mixture code, INVALID_IDENTIFIER)",
    content: { "application/json": ErrorBody },
  },
  401: { description: "Invalid token", content: { "application/json": ErrorBody } },
  403: { description: "A service token without toxicity:read", content: { "application/json": ErrorBody } },
};

export const MIXTURE_ROUTE_DOCS: RouteDoc[] = [
  {
    method: "post",
    path: "/mixtures/estimate",
    summary: "Estimate an unsaved composition: GHS acute oral additivity, % w/w conversions, Fahy's qv*, known pairs",
    description: "Components by molecule id, InChIKey, CAS or name. Each component's oral value is chosen from the " +
      "toxicity records the caller may read (rat oral exact first; lowest within a tier; bounds stay bounds) and " +
      "the choice is stated. Nothing is saved. See docs/mixture-estimate.md.",
    scopes: ["toxicity:read"],
    body: { "application/json": EstimateRequest },
    responses: {
      200: { description: "The estimate", content: { "application/json": EstimateResponse } },
      ...ERRORS,
      422: { description: "UNKNOWN_MOLECULE or AMBIGUOUS_MOLECULE", content: { "application/json": ErrorBody } },
    },
  },
  {
    method: "get",
    path: "/mixtures/{id}",
    summary: "A saved mixture the caller may read, with its estimate",
    description: "Saved mixtures store no solution density, water content or vehicle: pass them as query " +
      "parameters, or the parts that need them say why they are not computed.",
    scopes: ["toxicity:read"],
    params: MixtureId,
    query: SavedMixtureQuery,
    responses: {
      200: { description: "The mixture and its estimate", content: { "application/json": EstimateResponse } },
      ...ERRORS,
      404: { description: "No such mixture for this caller", content: { "application/json": ErrorBody } },
    },
  },
];
