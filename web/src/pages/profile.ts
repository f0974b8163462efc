// A molecule's profile: identity and identifiers, the summary (per owner: public, or a team's private
// records), the chart (GET /toxicity/molecules/{ref}/chart, a Vega-Lite spec), the records (a value-type
// filter and keyset paging through the API's cursor; a click on a heading sorts the page), and the sources.
import { call } from "../api.ts";
import { chartFigure, drawChart } from "../chart.ts";
import { h, num, replace, status } from "../dom.ts";
import { errorBox } from "../errors.ts";
import { ownerLabel, type Profile, type Source, type SummaryRow, type ToxRecord, VALUE_TYPES } from "../models.ts";
import type { PageContext } from "../router.ts";

const PAGE_SIZE = 25;

type Column = { key: string; header: string; get: (r: ToxRecord) => string | number | null; numeric?: boolean };

/** The records table's columns: header, the cell's value, and what sorting compares. */
function columns(sources: Map<string, Source>): Column[] {
  return [
    { key: "value_type", header: "Value type", get: (r) => r.value_type },
    { key: "endpoint", header: "Endpoint", get: (r) => r.endpoint?.replace(/_/g, " ") ?? null },
    { key: "qualifier", header: "Qualifier", get: (r) => r.qualifier },
    { key: "value", header: "Value", get: (r) => r.value, numeric: true },
    { key: "unit", header: "Unit", get: (r) => r.unit },
    { key: "species", header: "Species", get: (r) => r.species },
    { key: "route", header: "Route", get: (r) => r.route },
    { key: "assay", header: "Assay", get: (r) => r.assay_name ?? r.assay },
    {
      key: "stated",
      header: "As stated",
      get: (r) => [r.raw_qualifier, r.raw_value, r.raw_unit].filter(Boolean).join(" "),
    },
    { key: "source", header: "Source", get: (r) => (r.source ? sources.get(r.source)?.title ?? r.source : null) },
    { key: "owner", header: "Visible to", get: (r) => ownerLabel(r) },
  ];
}

const text = (v: string | number | null) => v === null || v === "" ? "—" : typeof v === "number" ? num(v, 6) : v;

function recordsTable(records: ToxRecord[], sources: Map<string, Source>): HTMLElement {
  const cols = columns(sources);
  let sortKey: string | null = null;
  let dir: 1 | -1 = 1;
  const table = h("table", { class: "records" });

  const draw = () => {
    const rows = [...records];
    if (sortKey) {
      const col = cols.find((c) => c.key === sortKey)!;
      rows.sort((a, b) => {
        const x = col.get(a);
        const y = col.get(b);
        if (x === null || x === "") return 1;
        if (y === null || y === "") return -1;
        return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
      });
    }
    const head = h(
      "tr",
      null,
      cols.map((c, i) =>
        h(
          "th",
          { scope: "col", "aria-sort": sortKey === c.key ? (dir === 1 ? "ascending" : "descending") : undefined },
          h(
            "button",
            {
              type: "button",
              class: "sort",
              onclick: () => {
                if (sortKey === c.key) dir = dir === 1 ? -1 : 1;
                else (sortKey = c.key, dir = 1);
                draw();
                (table.querySelector(`th:nth-child(${i + 1}) button`) as HTMLButtonElement).focus();
              },
            },
            c.header,
            h("span", { "aria-hidden": "true", class: "arrow" }, sortKey === c.key ? (dir === 1 ? " ▲" : " ▼") : ""),
          ),
        )
      ),
    );
    const body = rows.map((r) =>
      h(
        "tr",
        null,
        cols.map((c) =>
          h(
            "td",
            { class: c.numeric ? "num" : undefined, title: c.key === "source" && r.citation ? r.citation : undefined },
            text(c.get(r)),
          )
        ),
      )
    );
    replace(
      table,
      h("caption", null, "Toxicity records of this page (select a column heading to sort them)"),
      h("thead", null, head),
      h("tbody", null, body),
    );
  };
  draw();
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Toxicity records" }, table);
}

function identity(m: Profile["molecule"]): HTMLElement {
  const facts: [string, string | null][] = [
    ["Kind", m.kind === "polymer" ? "polymer" : "small molecule"],
    ["Formula", m.formula],
    ["Molecular weight", m.molecular_weight === null ? null : `${num(m.molecular_weight, 6)} g/mol`],
    ["SMILES", m.smiles],
    ["InChIKey", m.inchikey],
    ["CAS", m.cas],
    ["PubChem CID", m.pubchem_cid === null ? null : String(m.pubchem_cid)],
    ["Synonyms", m.synonyms.length ? m.synonyms.join(", ") : null],
    ["Visible to", m.team_id ? "your team only (private)" : "everyone (public reference data)"],
  ];
  return h(
    "div",
    null,
    h("dl", { class: "facts" }, facts.filter(([, v]) => v).map(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
    m.identifiers.length
      ? [
        h("h3", null, "Identifiers"),
        h(
          "ul",
          { class: "identifiers" },
          m.identifiers.map((i) =>
            h(
              "li",
              null,
              h("strong", null, `${i.kind.replace(/_/g, " ")}: `),
              h("code", null, i.value),
              h("span", { class: "citation" }, ` — ${i.source}`),
            )
          ),
        ),
      ]
      : null,
  );
}

/** A table in a region that scrolls sideways on narrow screens (focusable, so the keyboard can scroll it). */
function scroll(name: string, ...table: Parameters<typeof h<"table">>): HTMLElement {
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": name }, h(...table));
}

function summaryView(rows: SummaryRow[]): HTMLElement[] {
  return rows.map((s) =>
    h(
      "div",
      { class: "summary-owner" },
      h("h3", null, s.team_id ? "Your team's private records" : "Public records"),
      h(
        "p",
        null,
        `${s.record_count} record${s.record_count === 1 ? "" : "s"} from ${s.source_count} source${
          s.source_count === 1 ? "" : "s"
        }`,
        s.lowest_ghs_category !== null ? `; lowest GHS acute category ${s.lowest_ghs_category}` : "",
        s.has_skeleton_matches ? "; some records matched the structure by skeleton only" : "",
        ".",
      ),
      s.ld50.length
        ? scroll(
          "LD50 by species and route",
          "table",
          { class: "mini" },
          h("caption", null, "LD50 by species and route (mg/kg)"),
          h(
            "thead",
            null,
            h("tr", null, ["Species", "Route", "Records", "Lowest", "Median"].map((t) => h("th", { scope: "col" }, t))),
          ),
          h(
            "tbody",
            null,
            s.ld50.map((l) =>
              h(
                "tr",
                null,
                h("td", null, l.species ?? "—"),
                h("td", null, l.route ?? "—"),
                h("td", { class: "num" }, String(l.n)),
                h(
                  "td",
                  { class: "num" },
                  `${l.lowest_qualifier === "=" ? "" : `${l.lowest_qualifier} `}${num(l.lowest, 6)}`,
                ),
                h("td", { class: "num" }, num(l.median, 6)),
              )
            ),
          ),
        )
        : null,
      s.hit_calls.length
        ? scroll(
          "Assay hit calls by endpoint",
          "table",
          { class: "mini" },
          h("caption", null, "Assay hit calls by endpoint"),
          h("thead", null, h("tr", null, ["Endpoint", "Active", "Tested"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            null,
            s.hit_calls.map((c) =>
              h(
                "tr",
                null,
                h("td", null, c.endpoint.replace(/_/g, " ")),
                h("td", { class: "num" }, String(c.active)),
                h("td", { class: "num" }, String(c.tested)),
              )
            ),
          ),
        )
        : null,
    )
  );
}

export async function profilePage(el: HTMLElement, ctx: PageContext, ref: string) {
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const cursor = params.get("cursor");
  const prev = params.getAll("prev");
  const valueType = params.get("value_type");
  el.append(h("h1", { tabindex: "-1" }, ref), status("Loading the profile…"));
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) q.set("cursor", cursor);
  if (valueType && VALUE_TYPES[valueType]) q.set("value_type", valueType);
  const p = await call<Profile>(`molecules/${encodeURIComponent(ref)}?${q}`);
  if (!ctx.isCurrent()) return;
  const m = p.molecule;
  document.title = `${m.name} · CryoProtect`;
  const sources = new Map(p.sources.map((s) => [s.name, s]));

  const link = (next: { cursor?: string | null; prev?: string[]; valueType?: string | null }) => {
    const qs = new URLSearchParams();
    const vt = next.valueType === undefined ? valueType : next.valueType;
    if (vt) qs.set("value_type", vt);
    if (next.cursor) qs.set("cursor", next.cursor);
    for (const b of next.prev ?? []) qs.append("prev", b);
    return `#/molecules/${encodeURIComponent(ref)}${qs.size ? `?${qs}` : ""}`;
  };
  const paging = h(
    "nav",
    { class: "pager", "aria-label": "Record pages" },
    cursor ? h("a", { href: link({ cursor: prev.at(-1) || null, prev: prev.slice(0, -1) }) }, "← Previous page") : null,
    p.records.next_cursor
      ? h("a", { href: link({ cursor: p.records.next_cursor, prev: [...prev, cursor ?? ""] }) }, "Next page →")
      : null,
  );
  const filter = h(
    "select",
    {
      id: "value-type",
      onchange: (
        ev: Event,
      ) => (location.hash = link({ cursor: null, valueType: (ev.target as HTMLSelectElement).value || null })),
    },
    h("option", { value: "" }, "All value types"),
    Object.entries(VALUE_TYPES).map(([k, v]) => h("option", { value: k, selected: k === valueType }, v)),
  );

  const chart = chartFigure(
    "Toxicity chart",
    "LD50s on a log scale with their qualifiers, among other CPAs; assay hit calls by endpoint",
  );
  const n = p.records.items.length;

  replace(
    el,
    h("h1", { tabindex: "-1" }, m.name),
    h(
      "section",
      { "aria-labelledby": "identity-h", class: "card" },
      h("h2", { id: "identity-h" }, "Identity"),
      identity(m),
    ),
    h(
      "section",
      { "aria-labelledby": "summary-h", class: "card" },
      h("h2", { id: "summary-h" }, "Summary"),
      p.summary.length
        ? summaryView(p.summary)
        : h("p", null, "No toxicity record you can see is known for this molecule."),
    ),
    h(
      "section",
      { "aria-labelledby": "chart-h", class: "card wide" },
      h("h2", { id: "chart-h" }, "Chart"),
      chart.figure,
    ),
    h(
      "section",
      { "aria-labelledby": "records-h", class: "card wide" },
      h("h2", { id: "records-h" }, "Records"),
      h("div", { class: "field inline" }, h("label", { for: "value-type" }, "Show"), filter),
      n
        ? [
          status(`${n} record${n === 1 ? "" : "s"} on this page${p.records.next_cursor ? "; more on the next" : ""}.`),
          recordsTable(p.records.items, sources),
          paging,
        ]
        : h(
          "p",
          null,
          valueType ? "No records of this value type that you can see." : "No toxicity records that you can see.",
        ),
    ),
    p.sources.length
      ? h(
        "section",
        { "aria-labelledby": "sources-h", class: "card wide" },
        h("h2", { id: "sources-h" }, "Sources"),
        h(
          "ul",
          { class: "sources" },
          p.sources.map((s) =>
            h(
              "li",
              null,
              s.url ? h("a", { href: s.url, rel: "noopener noreferrer" }, s.title) : h("strong", null, s.title),
              s.version ? ` (version ${s.version})` : "",
              `: ${s.record_count} record${s.record_count === 1 ? "" : "s"}`,
              s.citation ? h("span", { class: "citation" }, ` — ${s.citation}`) : null,
              s.licence ? h("span", { class: "citation" }, ` Licence: ${s.licence}.`) : null,
            )
          ),
        ),
      )
      : null,
  );

  try {
    // By id: the chart route takes a uuid, InChIKey or CAS, not a name the profile route also resolves.
    const spec = await call<unknown>(`molecules/${encodeURIComponent(m.id)}/chart`);
    if (ctx.isCurrent()) await drawChart(chart.area, spec, `Toxicity chart of ${m.name}`);
  } catch (e) {
    if (ctx.isCurrent()) replace(chart.area, errorBox(e, "The chart could not be drawn"));
  }
}
