// Vega-Lite specs of the chart routes, built from rows the caller may read (chart-data.ts) with the data
// inline: no URL, so a renderer never fetches anything. Pure: no database, no HTTP.
//   molecule chart: (1) every LD50 of the molecule on a log axis (mg/kg), one point per record, shape and
//   label by qualifier (">" is a lower bound, "<" an upper bound, "~" approximate: never drawn as exact),
//   beside the lowest oral LD50 of other CPAs (molecules used in mixtures the caller can read);
//   (2) assay hit calls by endpoint (tested / active).
//   mixture chart: each component's share of Σ Cᵢ/ATEᵢ (the estimate sum, scale 0–1) and its % w/w.
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** One LD50 point. */
export type Ld50Point = {
  molecule: string;
  this_molecule: boolean;
  value: number;
  qualifier: string;
  species: string | null;
  route: string | null;
  source: string;
  skeleton_match: boolean;
};
export type HitCalls = { endpoint: string; tested: number; active: number };

const QUALIFIER_MEANING: Record<string, string> = {
  "=": "exact",
  "~": "approximate",
  ">": "lower bound (>)",
  ">=": "lower bound (≥)",
  "<": "upper bound (<)",
  "<=": "upper bound (≤)",
};

// deno-lint-ignore no-explicit-any
export type VegaLiteSpec = Record<string, any>;

/** A panel that says there is nothing to draw (rather than an empty axis that could read as "no toxicity"). */
const note = (title: string, text: string) => ({
  title,
  data: { values: [{ note: text }] },
  mark: { type: "text", align: "left" },
  encoding: { text: { field: "note", type: "nominal" } },
});

/** The molecule chart: LD50s among other CPAs (log scale, qualifiers visible), hit calls by endpoint. */
export function moleculeChartSpec(name: string, points: Ld50Point[], hits: HitCalls[]): VegaLiteSpec {
  const ld50 = points.map((p) => ({
    ...p,
    species: p.species ?? "species not stated",
    route: p.route ?? "route not stated",
    group: p.this_molecule ? name : "other CPAs (lowest oral LD50)",
    bound: QUALIFIER_MEANING[p.qualifier] ?? p.qualifier,
    label: p.qualifier === "=" ? "" : p.qualifier,
  }));
  const hitRows = hits.flatMap((h) => [
    { endpoint: h.endpoint, call: "active", n: h.active },
    { endpoint: h.endpoint, call: "inactive", n: h.tested - h.active },
  ]);
  const ld50Panel = ld50.length
    ? {
      title: "LD50 (mg/kg, log scale)",
      data: { values: ld50 },
      width: 420,
      height: { step: 18 },
      layer: [
        {
          mark: { type: "point", filled: true, size: 70 },
          encoding: {
            x: {
              field: "value",
              type: "quantitative",
              scale: { type: "log" },
              title: "LD50, mg/kg body weight (log)",
            },
            y: { field: "molecule", type: "nominal", sort: { field: "value", op: "min" }, title: null },
            color: { field: "group", type: "nominal", title: null },
            shape: { field: "bound", type: "nominal", title: "qualifier" },
            tooltip: [
              { field: "molecule", type: "nominal" },
              { field: "qualifier", type: "nominal" },
              { field: "value", type: "quantitative", title: "mg/kg" },
              { field: "species", type: "nominal" },
              { field: "route", type: "nominal" },
              { field: "source", type: "nominal" },
              { field: "skeleton_match", type: "nominal", title: "matched by skeleton only" },
            ],
          },
        },
        {
          mark: { type: "text", dx: -9, align: "right", baseline: "middle", fontWeight: "bold" },
          encoding: {
            x: { field: "value", type: "quantitative", scale: { type: "log" } },
            y: { field: "molecule", type: "nominal", sort: { field: "value", op: "min" } },
            text: { field: "label", type: "nominal" },
          },
        },
      ],
    }
    : note("LD50: no value recorded", "no LD50 record you can read");
  const hitPanel = hitRows.length
    ? {
      title: "Assay hit calls by endpoint",
      data: { values: hitRows },
      width: 420,
      height: { step: 18 },
      mark: "bar",
      encoding: {
        y: { field: "endpoint", type: "nominal", title: null },
        x: { field: "n", type: "quantitative", stack: "zero", title: "assays (count)" },
        color: {
          field: "call",
          type: "nominal",
          scale: { domain: ["active", "inactive"], range: ["#d62728", "#9ecae1"] },
          title: "hit call",
        },
        tooltip: [{ field: "endpoint" }, { field: "call" }, { field: "n", type: "quantitative" }],
      },
    }
    : note("Assay hit calls: none recorded", "no hit call you can read");
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: name, subtitle: "Toxicity records you can read (CryoProtect)" },
    vconcat: [ld50Panel, hitPanel],
    resolve: { scale: { color: "independent", shape: "independent" } },
  };
}

/** One component of a mixture chart. */
export type ContributionRow = {
  component: string;
  percent_w_w: number | null;
  share: number | null;
  status: string;
  used: string;
};

/** The mixture chart: each component's share of Σ Cᵢ/ATEᵢ (0–1) and its % w/w, with what the estimate said. */
export function mixtureChartSpec(name: string, rows: ContributionRow[], subtitle: string): VegaLiteSpec {
  const values = rows.map((r) => ({ ...r, share: r.share ?? 0, percent_w_w: r.percent_w_w ?? 0 }));
  const base = {
    data: { values },
    width: 360,
    height: { step: 20 },
    mark: "bar",
  };
  const tooltip = [
    { field: "component", type: "nominal" },
    { field: "status", type: "nominal" },
    { field: "percent_w_w", type: "quantitative", title: "% w/w", format: ".2f" },
    { field: "share", type: "quantitative", title: "share of Σ Cᵢ/ATEᵢ", format: ".3f" },
    { field: "used", type: "nominal", title: "value used" },
  ];
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: name, subtitle },
    hconcat: [
      {
        ...base,
        title: "Share of Σ Cᵢ/ATEᵢ (GHS additivity, estimate sum; 0–1)",
        encoding: {
          y: { field: "component", type: "nominal", sort: "-x", title: null },
          x: { field: "share", type: "quantitative", scale: { domain: [0, 1] }, title: "share (0–1)" },
          color: { field: "status", type: "nominal", title: "toxicity" },
          tooltip,
        },
      },
      {
        ...base,
        title: "Concentration (% w/w)",
        encoding: {
          y: { field: "component", type: "nominal", sort: { field: "share", order: "descending" }, title: null },
          x: { field: "percent_w_w", type: "quantitative", title: "% w/w" },
          tooltip,
        },
      },
    ],
  };
}
