// Search: a box with suggestions from GET /toxicity/search?q=; choosing one opens the molecule's profile;
// submitting lists every match.
import { call } from "../api.ts";
import { combobox, type Suggestion } from "../combobox.ts";
import { h, replace, status } from "../dom.ts";
import { errorBox } from "../errors.ts";
import type { SearchHit } from "../models.ts";
import type { PageContext } from "../router.ts";

/** The search route's hits for `q` (name, synonym or identifier prefix), best first. */
export async function searchMolecules(q: string, limit = 10): Promise<SearchHit[]> {
  const r = await call<{ q: string; items: SearchHit[] }>(
    `search?q=${encodeURIComponent(q.slice(0, 200))}&limit=${limit}`,
  );
  return r.items;
}

export function hitToSuggestion(hit: SearchHit): Suggestion {
  const m = hit.matched;
  const ids = [
    hit.cas && `CAS ${hit.cas}`,
    m.value && m.value !== hit.name && `${m.field.replace(/_/g, " ")} “${m.value}”`,
    hit.team_id ? "private to your team" : null,
    hit.has_records ? null : "no toxicity records",
  ].filter(Boolean).join(" · ");
  return { ref: hit.id, label: hit.name, detail: ids || undefined };
}

export function searchPage(el: HTMLElement, ctx: PageContext, initial: string) {
  const results = h("section", { "aria-labelledby": "results-h", class: "results" });
  const box = combobox({
    label: "Molecule",
    name: "q",
    placeholder: "DMSO, glycerol, 67-68-5, an InChIKey…",
    hint: "A name, synonym, CAS number, InChIKey, DTXSID or PubChem CID. Pick a suggestion to open its profile.",
    value: initial,
    required: true,
    fetch: async (q) => (await searchMolecules(q)).map(hitToSuggestion),
    onChoose: (s) => (location.hash = `#/molecules/${encodeURIComponent(s.ref)}`),
  });

  async function listAll(q: string) {
    replace(results, h("h2", { id: "results-h" }, "Matches"), status("Searching…"));
    try {
      const hits = await searchMolecules(q, 50);
      if (!ctx.isCurrent()) return;
      replace(
        results,
        h("h2", { id: "results-h" }, `Matches for “${q}”`),
        status(
          hits.length ? `${hits.length} molecule${hits.length === 1 ? "" : "s"} found.` : "No molecule matches that.",
        ),
        hits.length
          ? h(
            "ul",
            { class: "hit-list" },
            hits.map((hit) => {
              const s = hitToSuggestion(hit);
              return h(
                "li",
                null,
                h("a", { href: `#/molecules/${encodeURIComponent(hit.id)}` }, hit.name),
                s.detail ? h("span", { class: "s-detail" }, ` ${s.detail}`) : null,
              );
            }),
          )
          : null,
      );
    } catch (e) {
      if (ctx.isCurrent()) replace(results, h("h2", { id: "results-h" }, "Matches"), errorBox(e, "Search failed"));
    }
  }

  const form = h(
    "form",
    {
      role: "search",
      class: "search-form",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const q = box.input.value.trim();
        if (!q) return;
        const chosen = box.chosen();
        if (chosen) location.hash = `#/molecules/${encodeURIComponent(chosen.ref)}`;
        else {
          history.replaceState(null, "", `#/?q=${encodeURIComponent(q)}`);
          void listAll(q);
        }
      },
    },
    box.element,
    h("button", { type: "submit" }, "Search"),
  );

  el.append(
    h("h1", { tabindex: "-1" }, "Search cryoprotective agents"),
    h(
      "p",
      { class: "lead" },
      "Find a CPA and see what is known about its toxicity: values with units, qualifiers and sources, and charts.",
    ),
    form,
    results,
  );
  if (initial) void listAll(initial);
}
