// Batch lookup: paste identifiers (one a line, or separated by commas, semicolons or tabs), see every one
// answered in input order (found, unknown, ambiguous: POST /toxicity/lookup), download the same as CSV
// (the API's own CSV: Accept: text/csv).
import { call } from "../api.ts";
import { download, h, replace, status } from "../dom.ts";
import { errorBox } from "../errors.ts";
import { type LookupResponse, summaryLine } from "../models.ts";

export const MAX_IDENTIFIERS = 1000;

/** The identifiers in pasted text: split on new lines, commas, semicolons and tabs; blanks dropped. */
export function parseIdentifiers(text: string): string[] {
  return text.split(/[\n\r,;\t]+/).map((s) => s.trim()).filter(Boolean);
}

function statusBadge(s: string) {
  const words: Record<string, string> = {
    found: "Found",
    unknown: "Unknown",
    ambiguous: "Ambiguous",
    invalid: "Invalid",
  };
  return h("span", { class: `badge badge-${s}` }, words[s] ?? s);
}

export function lookupPage(el: HTMLElement) {
  const textarea = h("textarea", {
    id: "identifiers",
    name: "identifiers",
    rows: "8",
    required: true,
    spellcheck: "false",
    "aria-describedby": "identifiers-hint",
  });
  const out = h("section", { "aria-labelledby": "lookup-results-h", class: "results" });
  let lastIds: string[] = [];
  const csvButton = h("button", { type: "button", disabled: true, class: "secondary" }, "Download CSV");
  const csvNote = h("p", { role: "status", class: "status" });

  csvButton.addEventListener("click", async () => {
    csvNote.textContent = "Preparing the CSV…";
    try {
      const text = await call<string>("lookup", { body: { identifiers: lastIds }, accept: "text/csv" });
      download("cryoprotect-lookup.csv", new Blob([text], { type: "text/csv" }));
      const rows = Math.max(0, text.trim().split("\n").length - 1);
      csvNote.textContent = `CSV downloaded (${rows} data row${rows === 1 ? "" : "s"}).`;
    } catch (e) {
      csvNote.replaceChildren(errorBox(e, "The CSV could not be made"));
    }
  });

  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        const ids = parseIdentifiers(textarea.value);
        if (!ids.length) {
          replace(out, h("div", { role: "alert", class: "error" }, h("p", null, "Paste at least one identifier.")));
          return;
        }
        if (ids.length > MAX_IDENTIFIERS) {
          replace(
            out,
            h(
              "div",
              { role: "alert", class: "error" },
              h(
                "p",
                null,
                `That is ${ids.length} identifiers; one lookup takes at most ${MAX_IDENTIFIERS}. Split the list.`,
              ),
            ),
          );
          return;
        }
        replace(out, status(`Looking up ${ids.length} identifier${ids.length === 1 ? "" : "s"}…`));
        csvButton.disabled = true;
        try {
          // The table needs the summaries only; the CSV has every record.
          const r = await call<LookupResponse>("lookup", { body: { identifiers: ids, records_per_identifier: 0 } });
          lastIds = ids;
          csvButton.disabled = false;
          csvNote.textContent = "";
          const counts = r.counts;
          replace(
            out,
            h("h2", { id: "lookup-results-h" }, "Results"),
            status(
              `${counts.found} found, ${counts.unknown} unknown, ${counts.ambiguous} ambiguous` +
                `${counts.invalid ? `, ${counts.invalid} invalid` : ""} (of ${r.results.length}).`,
            ),
            h("div", { class: "actions" }, csvButton, csvNote),
            h(
              "div",
              { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Lookup results" },
              h(
                "table",
                { class: "lookup" },
                h("caption", null, "Every identifier, in the order given"),
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    ["#", "Identifier", "Answer", "Molecule", "What is known"].map((t) => h("th", { scope: "col" }, t)),
                  ),
                ),
                h(
                  "tbody",
                  null,
                  r.results.map((row, i) =>
                    h(
                      "tr",
                      { "data-status": row.status },
                      h("td", { class: "num" }, String(i + 1)),
                      h(
                        "td",
                        null,
                        h("code", null, row.input),
                        row.kind ? h("span", { class: "s-detail" }, ` ${row.kind.replace(/_/g, " ")}`) : null,
                      ),
                      h("td", null, statusBadge(row.status)),
                      h(
                        "td",
                        null,
                        row.molecule
                          ? h("a", { href: `#/molecules/${encodeURIComponent(row.molecule.id)}` }, row.molecule.name)
                          : row.status === "ambiguous"
                          ? [
                            `${row.reason ?? "Several molecules match"}: `,
                            (row.candidates ?? []).map((
                              c,
                              j,
                            ) => [j ? ", " : "", h("a", { href: `#/molecules/${encodeURIComponent(c.id)}` }, c.name)]),
                          ]
                          : row.status === "invalid"
                          ? `Not a valid identifier: ${row.reason ?? "unrecognised"}.`
                          : "No molecule you can see has this identifier.",
                      ),
                      h("td", null, row.status === "found" ? summaryLine(row.summary) : "—"),
                    )
                  ),
                ),
              ),
            ),
          );
        } catch (e) {
          replace(out, errorBox(e, "The lookup failed"));
        }
      },
    },
    h(
      "div",
      { class: "field" },
      h("label", { for: "identifiers" }, "Identifiers"),
      h(
        "p",
        { id: "identifiers-hint", class: "hint" },
        `One a line (or separated by commas): InChIKey, CAS, DTXSID, PubChem CID or name; up to ${MAX_IDENTIFIERS}.`,
      ),
      textarea,
    ),
    h("button", { type: "submit" }, "Look up"),
  );

  el.append(
    h("h1", { tabindex: "-1" }, "Batch lookup"),
    h(
      "p",
      { class: "lead" },
      "Paste a list from a paper or a spreadsheet. Every identifier is answered: found, unknown or ambiguous.",
    ),
    form,
    out,
  );
}
