// Mixtures: open a saved one (GET /toxicity/mixtures/{id}) or compose one (components, concentrations,
// units → POST /toxicity/mixtures/estimate, which saves nothing), and read the estimate: each component's
// contribution, the GHS category, qv*, flagged pairs and the data that were missing.
import { call } from "../api.ts";
import { chartFigure, drawChart } from "../chart.ts";
import { combobox } from "../combobox.ts";
import { h, num, replace, status } from "../dom.ts";
import { errorBox } from "../errors.ts";
import { cell, CONCENTRATION_UNITS, type Json } from "../models.ts";
import type { PageContext } from "../router.ts";
import { hitToSuggestion, searchMolecules } from "./search.ts";

// The estimate's parts the page shows (supabase/functions/_shared/mixtures/estimate.ts: MixtureEstimate).
interface Additivity {
  ate_mix: number | null;
  qualifier: string | null;
  category: number | string | null;
  possible_categories: (number | string)[];
  unknown_percent: number;
  unknown_adjustment: boolean;
  formula: string;
}
interface ComponentResult {
  name: string;
  percent_w_w: number;
  status: string;
  used: {
    ate: number;
    qualifier: string;
    tier: number;
    species: string | null;
    route: string | null;
    citation: string | null;
    why: string;
  } | null;
  not_used: { value: string; reason: string }[];
  estimate_share: number | null;
  ghs_share: number | null;
  ghs_note: string | null;
}
export interface Estimate {
  conversions: ({
    ok: boolean;
    name: string;
    from: { value: number; unit: string };
    percent_w_w?: number;
    formula?: string;
    reason?: string;
  })[];
  acute_oral: {
    components: ComponentResult[];
    unaccounted_percent: number;
    ghs: Additivity;
    estimate: Additivity;
    missing: string[];
    unknown_statement: string | null;
    sources: string[];
  } | null;
  qv: {
    qv_star: number | null;
    formula: string;
    terms: { name: string; percent_w_w: number; groups_per_molecule: number; term: number }[];
    not_counted: { name: string; reason: string }[];
    water: { percent_w_w: number; basis: string };
  } | null;
  interactions: {
    flags: { components: [string, string]; kind: string; finding: string; citation: string; evidence: string }[];
    no_data: [string, string][];
    unidentified: string[];
  };
  not_computed: { part: string; reason: string }[];
  missing?: string[];
}
/** GET /mixtures/{id}: the mixture (nested, or at the top level) with its components and its estimate. */
interface SavedMixture extends Json {
  mixture?: Json & { id: string; name: string; description?: string | null; components?: Json[] };
  name?: string;
  description?: string | null;
  components?: Json[];
  estimate: Estimate;
}

const pct = (share: number | null) => (share === null ? "—" : `${num(share * 100, 3)} %`);

function categoryText(a: Additivity | undefined): string {
  if (!a || a.category === null) return "Not determined";
  return typeof a.category === "number" ? `Category ${a.category}` : String(a.category);
}

/** The estimate view: headline figures, contributions, qv*, flagged pairs, missing data, conversions. */
export function estimateView(e: Estimate, chartSpec?: unknown): HTMLElement {
  const ao = e.acute_oral;
  const missing = [...new Set([...(ao?.missing ?? []), ...(e.missing ?? [])])];
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

/** One saved mixture and its estimate. */
export async function mixturePage(el: HTMLElement, ctx: PageContext, ref: string) {
  el.append(h("h1", { tabindex: "-1" }, "Mixture"), status("Loading the mixture…"));
  const m = await call<SavedMixture>(`mixtures/${encodeURIComponent(ref)}`);
  if (!ctx.isCurrent()) return;
  let spec: unknown;
  try {
    spec = await call<unknown>(`mixtures/${encodeURIComponent(ref)}/chart`);
  } catch {
    spec = undefined; // the view draws the contributions itself
  }
  if (!ctx.isCurrent()) return;
  const name = String(m.mixture?.name ?? m.name ?? ref);
  const description = m.mixture?.description ?? m.description;
  const components = m.components ?? m.mixture?.components ?? [];
  document.title = `${name} · CryoProtect`;
  replace(
    el,
    h("h1", { tabindex: "-1" }, name),
    description ? h("p", { class: "lead" }, cell(description)) : null,
    components.length
      ? h(
        "section",
        { "aria-labelledby": "comp-h", class: "card" },
        h("h2", { id: "comp-h" }, "Components"),
        h(
          "ul",
          null,
          components.map((c) =>
            h("li", null, `${cell(c.name ?? c.molecule)}: ${cell(c.concentration ?? c.value)} ${cell(c.unit)}`)
          ),
        ),
      )
      : null,
    estimateView(m.estimate, spec),
  );
}

interface Row {
  element: HTMLElement;
  read(): { molecule: string; name: string; value: number; unit: string } | null;
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
  const row: Row = {
    element: h(
      "fieldset",
      { class: "component-row" },
      h("legend", { class: "visually-hidden" }, `Component ${n}`),
      box.element,
      h("div", { class: "field" }, h("label", { for: `value-${n}` }, "Concentration"), value),
      h("div", { class: "field" }, h("label", { for: `unit-${n}` }, "Unit"), unit),
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
        const body = {
          components: components.map((c) => ({ molecule: c.molecule, concentration: c.value, unit: c.unit })),
          water: waterRemainder.checked ? "remainder" : null,
          solution_density: d ? Number(d.replace(",", ".")) : null,
        };
        replace(out, status("Estimating…"));
        try {
          const e = await call<{ estimate: Estimate } & Estimate>("mixtures/estimate", { body });
          if (!ctx.isCurrent()) return;
          replace(
            out,
            h("h2", { class: "visually-hidden" }, "Estimate of the composed mixture"),
            estimateView(e.estimate ?? e),
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
    placeholder: "VS55, M22, or a mixture id",
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
    h("div", { class: "field" }, h("label", { for: "mixture-ref" }, "Mixture name or id"), openRef),
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
