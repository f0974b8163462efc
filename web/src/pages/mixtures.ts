// Mixtures: open a saved one (GET /toxicity/mixtures/{id}) or compose one (components, concentrations,
// units → POST /toxicity/mixtures/estimate, which saves nothing), and read the estimate: each component's
// contribution, the GHS category, qv*, flagged pairs and the data that were missing.
import { call } from "../api.ts";
import { chartFigure, drawChart } from "../chart.ts";
import { combobox } from "../combobox.ts";
import { h, num, replace, status } from "../dom.ts";
import { errorBox } from "../errors.ts";
import { cell, CONCENTRATION_UNITS } from "../models.ts";
import type { PageContext } from "../router.ts";
import { hitToSuggestion, searchMolecules } from "./search.ts";

// The shapes are the API's own (supabase/functions/toxicity/mixture-schemas.ts, zod): only their types come
// into the bundle, the schemas stay on the server.
import type {
  EstimateRequestBody,
  EstimateResponseBody,
} from "../../../supabase/functions/toxicity/mixture-schemas.ts";

/** POST /mixtures/estimate's and GET /mixtures/{id}'s answer (EstimateResponse). */
export type EstimateAnswer = EstimateResponseBody;
/** The estimate itself (MixtureEstimateSchema); null in an answer whose composition the estimate refused. */
export type Estimate = NonNullable<EstimateResponseBody["estimate"]>;
type Additivity = NonNullable<Estimate["acute_oral"]>["ghs"];
type RequestComponent = EstimateRequestBody["components"][number];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const pct = (share: number | null) => (share === null ? "—" : `${num(share * 100, 3)} %`);

function categoryText(a: Additivity | undefined): string {
  if (!a || a.category === null) return "Not determined";
  return typeof a.category === "number" ? `Category ${a.category}` : String(a.category);
}

/** The estimate view: headline figures, contributions, qv*, flagged pairs, missing data, conversions. */
export function estimateView(e: Estimate, chartSpec?: unknown): HTMLElement {
  const ao = e.acute_oral;
  const missing = ao?.missing ?? [];
  const contributions = ao?.components ?? [];
  const chart = chartFigure("Contributions", "each component's share of Σ Cᵢ / ATEᵢ (acute oral)");
  const spec = chartSpec ?? (contributions.some((c) => c.estimate_share !== null)
    ? {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      description: "Each component's share of the additivity sum",
      width: "container",
      height: { step: 28 },
      data: {
        values: contributions.filter((c) => c.estimate_share !== null).map((c) => ({
          component: c.name,
          share: c.estimate_share,
        })),
      },
      mark: { type: "bar", color: "#1f5f8b" },
      encoding: {
        y: { field: "component", type: "nominal", sort: "-x", title: null },
        x: { field: "share", type: "quantitative", axis: { format: "%" }, title: "Share of Σ Cᵢ/ATEᵢ" },
        tooltip: [{ field: "component" }, { field: "share", format: ".1%" }],
      },
    }
    : null);
  const view = h(
    "div",
    { class: "estimate" },
    h(
      "section",
      { "aria-labelledby": "headline-h", class: "card headline" },
      h("h2", { id: "headline-h" }, "Estimate"),
      h(
        "dl",
        { class: "figures" },
        h(
          "div",
          null,
          h("dt", null, "GHS acute oral category"),
          h("dd", { "data-testid": "ghs-category" }, categoryText(ao?.ghs)),
        ),
        ao?.ghs && ao.ghs.possible_categories.length > 1
          ? h("div", null, h("dt", null, "Possible categories"), h("dd", null, ao.ghs.possible_categories.join(", ")))
          : null,
        h(
          "div",
          null,
          h("dt", null, "ATE of the mixture"),
          h(
            "dd",
            null,
            ao?.estimate.ate_mix != null
              ? `${ao.estimate.qualifier && ao.estimate.qualifier !== "=" ? `${ao.estimate.qualifier} ` : ""}${
                num(ao.estimate.ate_mix)
              } mg/kg`
              : "—",
          ),
        ),
        h(
          "div",
          null,
          h("dt", null, "qv*"),
          h("dd", { "data-testid": "qv-star" }, e.qv?.qv_star != null ? num(e.qv.qv_star, 3) : "Not computed"),
        ),
      ),
      ao?.unknown_statement ? h("p", { class: "note" }, ao.unknown_statement) : null,
      e.not_computed.length
        ? h(
          "ul",
          { class: "not-computed" },
          e.not_computed.map((n) =>
            h(
              "li",
              null,
              h("strong", null, n.part === "qv" ? "qv*" : "Acute oral estimate"),
              ` not computed: ${n.reason}`,
            )
          ),
        )
        : null,
    ),
    h(
      "section",
      { "aria-labelledby": "contrib-h", class: "card wide" },
      h("h2", { id: "contrib-h" }, "Contributions"),
      contributions.length
        ? h(
          "div",
          { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Contributions" },
          h(
            "table",
            { class: "contributions" },
            h(
              "caption",
              null,
              "Each component: its % w/w, the oral value used and why, and its share of the additivity sum",
            ),
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["Component", "% w/w", "Status", "Value used", "Why", "Share"].map((t) => h("th", { scope: "col" }, t)),
              ),
            ),
            h(
              "tbody",
              null,
              contributions.map((c) =>
                h(
                  "tr",
                  null,
                  h("th", { scope: "row" }, c.name),
                  h("td", { class: "num" }, num(c.percent_w_w, 4)),
                  h("td", null, c.status),
                  h(
                    "td",
                    null,
                    c.used
                      ? `${c.used.qualifier === "=" ? "" : `${c.used.qualifier} `}${num(c.used.ate)} mg/kg${
                        c.used.species ? ` (${c.used.species}${c.used.route ? `, ${c.used.route}` : ""})` : ""
                      }`
                      : "—",
                  ),
                  h(
                    "td",
                    null,
                    c.used?.why ?? c.ghs_note ??
                      (c.not_used.length ? c.not_used.map((n) => `${n.value}: ${n.reason}`).join("; ") : "—"),
                  ),
                  h("td", { class: "num" }, pct(c.estimate_share)),
                )
              ),
            ),
          ),
        )
        : h("p", null, "No contribution could be computed."),
      spec ? chart.figure : null,
    ),
    e.qv
      ? h(
        "section",
        { "aria-labelledby": "qv-h", class: "card" },
        h("h2", { id: "qv-h" }, "qv* (Fahy et al. 2004)"),
        h("p", null, h("code", null, e.qv.formula)),
        h(
          "ul",
          null,
          e.qv.terms.map((t) =>
            h(
              "li",
              null,
              `${t.name}: ${num(t.percent_w_w)} % w/w, ${t.groups_per_molecule} polar group${
                t.groups_per_molecule === 1 ? "" : "s"
              } per molecule → ${num(t.term)} mol groups / 100 g`,
            )
          ),
          e.qv.not_counted.map((t) => h("li", null, `${t.name}: not counted (${t.reason})`)),
        ),
      )
      : null,
    h(
      "section",
      { "aria-labelledby": "pairs-h", class: "card" },
      h("h2", { id: "pairs-h" }, "Flagged pairs"),
      e.interactions.flags.length
        ? h(
          "ul",
          null,
          e.interactions.flags.map((f) =>
            h(
              "li",
              null,
              h("strong", null, `${f.components[0]} + ${f.components[1]}`),
              ` (${f.kind}): ${f.finding} `,
              h("span", { class: "citation" }, `${f.citation}; evidence ${f.evidence}`),
            )
          ),
        )
        : h("p", null, "No known interacting pair in this mixture."),
      e.interactions.no_data.length
        ? h(
          "p",
          { class: "hint" },
          `No data either way for: ${e.interactions.no_data.map((p) => p.join(" + ")).join("; ")}.`,
        )
        : null,
    ),
    h(
      "section",
      { "aria-labelledby": "missing-h", class: "card" },
      h("h2", { id: "missing-h" }, "Missing data"),
      missing.length || e.interactions.unidentified.length
        ? h(
          "ul",
          { "data-testid": "missing" },
          missing.map((m) => h("li", null, m)),
          e.interactions.unidentified.map((u) => h("li", null, `${u}: no structure, so no pair can be checked`)),
        )
        : h("p", null, "Nothing missing: every component had the data the estimate needs."),
    ),
    h(
      "details",
      { class: "card wide" },
      h("summary", null, "Conversions to % w/w and the arithmetic"),
      h(
        "ul",
        null,
        e.conversions.map((c) =>
          h(
            "li",
            null,
            `${c.name}: ${num(c.from.value)} ${c.from.unit} → `,
            c.ok ? `${num(c.percent_w_w ?? null)} % w/w (${c.formula})` : `not converted: ${c.reason}`,
          )
        ),
      ),
      ao ? h("p", null, h("code", null, ao.estimate.formula)) : null,
      ao?.sources.length ? h("ul", { class: "sources" }, ao.sources.map((s) => h("li", null, s))) : null,
    ),
  );
  if (spec) {
    queueMicrotask(() =>
      drawChart(chart.area, spec, "Each component's contribution").catch((err) =>
        replace(chart.area, errorBox(err, "The chart could not be drawn"))
      )
    );
  }
  return view;
}

/** What an answer without an estimate says instead (the composition the estimate refuses, and why). */
function notComputed(a: EstimateAnswer): HTMLElement {
  return h(
    "div",
    { role: "alert", class: "error" },
    h(
      "p",
      null,
      h("strong", null, "No estimate: "),
      a.not_computed_reason?.message ?? "the estimate could not be made for this composition.",
    ),
    a.not_computed_reason ? h("p", { class: "code" }, `Code ${a.not_computed_reason.code}`) : null,
  );
}

/**
 * The inputs a saved mixture does not store (solution density, water as the remainder), as a form that reopens
 * the page with them in its address (#/mixtures/{id}?solution_density=1.05&water=remainder).
 */
function savedInputsForm(id: string, params: URLSearchParams): HTMLElement {
  const density = h("input", {
    id: "saved-density",
    name: "solution_density",
    type: "text",
    inputmode: "decimal",
    class: "short",
    value: params.get("solution_density") ?? "",
    "aria-describedby": "saved-density-hint",
  });
  const water = h("input", {
    id: "saved-water",
    name: "water",
    type: "checkbox",
    checked: params.get("water") === "remainder",
  });
  return h(
    "form",
    {
      class: "stack",
      "aria-labelledby": "inputs-h",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const q = new URLSearchParams();
        const d = density.value.trim().replace(",", ".");
        if (d) q.set("solution_density", d);
        if (water.checked) q.set("water", "remainder");
        location.hash = `#/mixtures/${encodeURIComponent(id)}${q.size ? `?${q}` : ""}`;
      },
    },
    h("h2", { id: "inputs-h" }, "What the saved mixture does not store"),
    h(
      "div",
      { class: "field" },
      h("label", { for: "saved-density" }, "Solution density, g/mL"),
      h(
        "p",
        { id: "saved-density-hint", class: "hint" },
        "Needed to convert M and % w/v to % w/w (VS55: about 1.05). Never assumed.",
      ),
      density,
    ),
    h(
      "div",
      { class: "field checkbox" },
      water,
      h("label", { for: "saved-water" }, "Water makes up the rest (for qv*)"),
    ),
    h("button", { type: "submit" }, "Recompute"),
  );
}

/**
 * One saved mixture (GET /mixtures/{id}, id a uuid) and its estimate, with the API's chart of contributions.
 * `params`: solution_density and water, passed on to the API as they are.
 */
export async function mixturePage(
  el: HTMLElement,
  ctx: PageContext,
  ref: string,
  params: URLSearchParams = new URLSearchParams(),
) {
  el.append(h("h1", { tabindex: "-1" }, "Mixture"), status("Loading the mixture…"));
  if (!UUID_RE.test(ref)) {
    replace(
      el,
      h("h1", { tabindex: "-1" }, "Mixture"),
      h(
        "div",
        { role: "alert", class: "error" },
        h("p", null, "A saved mixture is opened by its id (a uuid such as 762d4ba3-cccf-55a1-b17a-8b8e842aa4f0)."),
      ),
    );
    return;
  }
  const id = encodeURIComponent(ref);
  const q = new URLSearchParams();
  for (const k of ["solution_density", "water"]) {
    const v = params.get(k);
    if (v) q.set(k, v);
  }
  const qs = q.size ? `?${q}` : "";
  const [m, spec] = await Promise.all([
    call<EstimateAnswer>(`mixtures/${id}${qs}`),
    // The server's spec; without it (an older API, or no contribution to draw) the view draws its own.
    call<unknown>(`mixtures/${id}/chart${qs}`).catch(() => undefined),
  ]);
  if (!ctx.isCurrent()) return;
  const name = m.mixture?.name ?? ref;
  document.title = `${name} · CryoProtect`;
  // What was stated for each component: the estimate's conversions keep the value and unit as given.
  const stated = m.estimate?.conversions ?? [];
  replace(
    el,
    h("h1", { tabindex: "-1" }, name),
    m.mixture?.description ? h("p", { class: "lead" }, cell(m.mixture.description)) : null,
    m.mixture?.citation ? h("p", { class: "citation" }, `Source: ${m.mixture.citation}`) : null,
    m.components.length
      ? h(
        "section",
        { "aria-labelledby": "comp-h", class: "card" },
        h("h2", { id: "comp-h" }, "Components"),
        h(
          "ul",
          null,
          m.components.map((c) => {
            const s = stated.find((x) => x.name === c.molecule.name);
            return h(
              "li",
              null,
              h("a", { href: `#/molecules/${encodeURIComponent(c.molecule.id)}` }, c.molecule.name),
              s ? `: ${num(s.from.value)} ${s.from.unit}` : "",
            );
          }),
        ),
      )
      : null,
    h("section", { class: "card" }, savedInputsForm(ref, params)),
    m.estimate ? estimateView(m.estimate, spec) : notComputed(m),
  );
}

interface Row {
  element: HTMLElement;
  read(): { molecule: string; name: string; value: number; unit: string; penetrating: boolean } | null;
}

let rowSeq = 0;

function componentRow(onRemove: (r: Row) => void, initial?: { name: string; value: string; unit: string }): Row {
  const n = ++rowSeq;
  const box = combobox({
    label: `Component ${n}`,
    name: `component-${n}`,
    placeholder: "DMSO, glycerol, formamide…",
    value: initial?.name,
    required: true,
    fetch: async (q) => (await searchMolecules(q)).map(hitToSuggestion),
  });
  const value = h("input", {
    id: `value-${n}`,
    name: `value-${n}`,
    type: "text",
    inputmode: "decimal",
    required: true,
    value: initial?.value,
    class: "short",
  });
  const unit = h(
    "select",
    { id: `unit-${n}`, name: `unit-${n}` },
    CONCENTRATION_UNITS.map((u) => h("option", { value: u, selected: u === (initial?.unit ?? "% w/w") }, u)),
  );
  // qv* counts the penetrating CPAs and is computed only when every component says whether it penetrates.
  const penetrating = h("input", { id: `penetrating-${n}`, name: `penetrating-${n}`, type: "checkbox", checked: true });
  const row: Row = {
    element: h(
      "fieldset",
      { class: "component-row" },
      h("legend", { class: "visually-hidden" }, `Component ${n}`),
      box.element,
      h("div", { class: "field" }, h("label", { for: `value-${n}` }, "Concentration"), value),
      h("div", { class: "field" }, h("label", { for: `unit-${n}` }, "Unit"), unit),
      h(
        "div",
        { class: "field checkbox" },
        penetrating,
        h("label", { for: `penetrating-${n}` }, "Penetrates cells (counted in qv*)"),
      ),
      h("button", {
        type: "button",
        class: "secondary remove",
        "aria-label": `Remove component ${n}`,
        onclick: () => onRemove(row),
      }, "Remove"),
    ),
    read() {
      const name = box.input.value.trim();
      if (!name) return null;
      // The number as typed (a comma decimal too); a non-number is sent as NaN → the API's readable refusal.
      const v = Number(value.value.trim().replace(",", "."));
      return {
        molecule: box.chosen()?.ref ?? name,
        name,
        value: value.value.trim() === "" ? NaN : v,
        unit: unit.value,
        penetrating: penetrating.checked,
      };
    },
  };
  return row;
}

/** The mixtures page: open a saved mixture, or compose one and estimate it. */
export function mixturesPage(el: HTMLElement, ctx: PageContext) {
  const rows: Row[] = [];
  const list = h("div", { class: "component-rows" });
  const out = h("div", { class: "estimate-out", "aria-live": "polite" });
  const remove = (r: Row) => {
    if (rows.length === 1) return;
    rows.splice(rows.indexOf(r), 1);
    r.element.remove();
  };
  const add = (init?: { name: string; value: string; unit: string }) => {
    const r = componentRow(remove, init);
    rows.push(r);
    list.append(r.element);
    return r;
  };
  add();

  const waterRemainder = h("input", { id: "water-remainder", type: "checkbox", checked: true });
  const density = h("input", {
    id: "solution-density",
    type: "text",
    inputmode: "decimal",
    class: "short",
    "aria-describedby": "density-hint",
  });

  const compose = h(
    "form",
    {
      class: "stack",
      "aria-labelledby": "compose-h",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const components = rows.map((r) => r.read()).filter((c) => c !== null);
        if (!components.length) {
          replace(
            out,
            h("div", { role: "alert", class: "error" }, h("p", null, "Add at least one component with a name.")),
          );
          return;
        }
        const bad = components.find((c) => !Number.isFinite(c.value));
        if (bad) {
          replace(
            out,
            h(
              "div",
              { role: "alert", class: "error" },
              h("p", null, `The concentration of ${bad.name} is not a number. Type a number such as 8.5.`),
            ),
          );
          return;
        }
        const d = density.value.trim();
        const body: EstimateRequestBody = {
          components: components.map((c): RequestComponent => ({
            molecule: c.molecule,
            value: c.value,
            unit: c.unit,
            penetrating: c.penetrating,
          })),
          water: waterRemainder.checked ? "remainder" : null,
          solution_density: d ? Number(d.replace(",", ".")) : null,
        };
        replace(out, status("Estimating…"));
        try {
          const a = await call<EstimateAnswer>("mixtures/estimate", { body });
          if (!ctx.isCurrent()) return;
          replace(
            out,
            h("h2", { class: "visually-hidden" }, "Estimate of the composed mixture"),
            a.estimate ? estimateView(a.estimate) : notComputed(a),
          );
        } catch (err) {
          replace(out, errorBox(err, "The estimate could not be made"));
        }
      },
    },
    h("h2", { id: "compose-h" }, "Compose a mixture"),
    h("p", { class: "hint" }, "Nothing you compose here is saved: the estimate is computed and shown, that is all."),
    list,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "button", class: "secondary", onclick: () => add().element.querySelector("input")?.focus() },
        "Add a component",
      ),
    ),
    h(
      "div",
      { class: "field checkbox" },
      waterRemainder,
      h("label", { for: "water-remainder" }, "Water makes up the rest (for qv*)"),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "solution-density" }, "Solution density, g/mL (optional)"),
      h(
        "p",
        { id: "density-hint", class: "hint" },
        "Needed to convert % w/v and M to % w/w; without it those components are named as missing data.",
      ),
      density,
    ),
    h("button", { type: "submit" }, "Estimate"),
  );

  const openRef = h("input", {
    id: "mixture-ref",
    name: "mixture",
    type: "text",
    required: true,
    placeholder: "762d4ba3-cccf-55a1-b17a-8b8e842aa4f0",
    "aria-describedby": "mixture-ref-hint",
  });
  const open = h(
    "form",
    {
      class: "inline-form",
      "aria-labelledby": "open-h",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const ref = openRef.value.trim();
        if (ref) location.hash = `#/mixtures/${encodeURIComponent(ref)}`;
      },
    },
    h("h2", { id: "open-h" }, "Open a saved mixture"),
    h(
      "div",
      { class: "field" },
      h("label", { for: "mixture-ref" }, "Mixture id"),
      h("p", { id: "mixture-ref-hint", class: "hint" }, "The saved mixture's id (a uuid), as the API names it."),
      openRef,
    ),
    h("button", { type: "submit" }, "Open"),
  );

  el.append(
    h("h1", { tabindex: "-1" }, "Mixtures"),
    h(
      "p",
      { class: "lead" },
      "Open a vitrification solution or try a new cocktail: see each component's contribution to acute oral toxicity (GHS additivity), the GHS category, Fahy's qv*, known interacting pairs and what data are missing.",
    ),
    h("section", { class: "card" }, open),
    h("section", { class: "card wide" }, compose),
    out,
  );
}
