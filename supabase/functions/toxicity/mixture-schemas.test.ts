// The schemas of the mixture and chart routes: every one the OpenAPI document will hold converts to JSON
// Schema, and the response schema describes what estimateMixture really returns (no database needed).
import assert from "node:assert/strict";
import { z } from "zod";
import { estimateMixture } from "../_shared/mixtures/estimate.ts";
import { LD50, MW } from "../_shared/mixtures/_cases.ts";
import { CHART_ROUTE_DOCS } from "./charts.ts";
import { EstimateRequest, EstimateResponse, SCALES } from "./mixture-schemas.ts";
import { MIXTURE_ROUTE_DOCS } from "./mixtures.ts";

Deno.test("every schema of MIXTURE_ROUTE_DOCS and CHART_ROUTE_DOCS converts to JSON Schema (OpenAPI)", () => {
  const docs = [...MIXTURE_ROUTE_DOCS, ...CHART_ROUTE_DOCS];
  assert.deepEqual(docs.map((d) => `${d.method} ${d.path}`), [
    "post /mixtures/estimate",
    "get /mixtures/{id}",
    "get /molecules/{ref}/chart",
    "get /mixtures/{id}/chart",
  ]);
  for (const d of docs) {
    const schemas: z.ZodType[] = [
      ...(d.params ? [d.params] : []),
      ...(d.query ? [d.query] : []),
      ...Object.values(d.body ?? {}),
      ...Object.values(d.responses).flatMap((r) =>
        Object.values(r.content ?? {}).filter((s): s is z.ZodType => s instanceof z.ZodType)
      ),
    ];
    for (const s of schemas) {
      for (const io of ["input", "output"] as const) {
        const j = z.toJSONSchema(s, { io, unrepresentable: "any" });
        assert.equal(typeof j, "object", `${d.method} ${d.path}`);
      }
    }
  }
});

Deno.test("the request schema takes the documented shape and refuses what it must", () => {
  assert.ok(EstimateRequest.safeParse({ components: [{ molecule: "67-68-5", value: 1, unit: "M" }] }).success);
  for (
    const bad of [
      {},
      { components: [] },
      { components: [{ molecule: "x", value: 1, unit: "M", extra: 1 }] },
      { components: [{ molecule: "x\u0000", value: 1, unit: "M" }] },
      { components: [{ molecule: "x", value: "1", unit: "M" }] },
      { components: [{ molecule: "x", value: 1, unit: "M" }], solution_density: 0 },
    ]
  ) assert.equal(EstimateRequest.safeParse(bad).success, false, JSON.stringify(bad));
});

Deno.test("the response schema describes estimateMixture's real output (VS55, ρ 1.05 assumed)", async () => {
  const estimate = await estimateMixture({
    solution_density: 1.05,
    water: "remainder",
    carrier: { name: "Euro-Collins", reason: "vehicle" },
    components: [
      { name: "DMSO", value: 3.1, unit: "M", mw: MW.DMSO, smiles: "CS(C)=O", penetrating: true, toxicity: LD50.DMSO },
      { name: "formamide", value: 3.1, unit: "M", mw: MW.formamide, smiles: "NC=O", penetrating: true },
    ],
  });
  const molecule = {
    id: crypto.randomUUID(),
    name: "DMSO",
    inchikey: null,
    cas: null,
    smiles: "CS(C)=O",
    kind: "small_molecule",
    molecular_weight: MW.DMSO,
    visibility: "public",
  };
  const r = EstimateResponse.safeParse({
    mixture: null,
    components: [{ input: "DMSO", matched_by: "name", molecule, toxicity_values: [], skeleton_records_ignored: 0 }],
    inputs: { solution_density: 1.05, water: "remainder", carrier: null },
    estimate,
    not_computed_reason: null,
    scales: SCALES,
  });
  assert.ok(r.success, JSON.stringify(r.error?.issues.slice(0, 5)));
});
