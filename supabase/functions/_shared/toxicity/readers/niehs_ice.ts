// NIEHS ICE / NICEATM rat acute oral toxicity, the DERIVED CSV of sheet `Data` of Acute_Oral_Toxicity.xlsx
// (20 columns, every cell a string). Qualifiers sit in their own column (blank, ">" or "<"), references may
// be blank, and "Mixture" rows give the LD50 (or GHS / EPA class) of a FORMULATION: they become records of
// the formulation, with the active ingredient's identifiers beside it, never records of the neat chemical.
import { z } from "zod";
import { casValid } from "../../identifiers.mjs";
import { normalize, UnknownUnitError, type ValueType } from "../units.ts";
import { type CsvReader, firstIssue, takeHeader } from "./common.ts";

export const ICE_COLUMNS = [
  "Data Name",
  "Data Type",
  "Data Version",
  "Record ID",
  "Mixture",
  "Chemical Name",
  "CASRN",
  "DTXSID",
  "Formulation ID",
  "Formulation Name",
  "Percent Active Ingredient",
  "Species",
  "Sex",
  "Assay",
  "Endpoint",
  "Response Modifier",
  "Response",
  "Response Unit",
  "Reference",
  "URL",
] as const;

const blankable = <T extends z.ZodType>(s: T) => z.union([z.literal(""), s]);
const Row = z.tuple([
  z.literal("Acute Oral Toxicity"),
  z.literal("In Vivo"),
  z.string().min(1),
  z.string().regex(/^AcuteOralToxicity_\d+$/, "a Record ID is AcuteOralToxicity_<digits>"),
  z.enum(["Chemical", "Mixture"]),
  z.string().max(2000),
  blankable(z.string().refine(casValid, "not a CAS registry number, or its check digit is wrong")),
  blankable(z.string().regex(/^DTXSID\d{5,12}$/, "not a DTXSID")),
  z.string().max(200),
  z.string().max(2000),
  blankable(z.string().regex(/^\d+(\.\d+)?$/, "a percentage is a number")),
  blankable(z.literal("Rat")),
  z.enum(["", "Female", "Male", "Male/Female"]),
  z.literal("Rat Acute Oral Toxicity"),
  z.enum(["LD50", "GHS classification", "EPA classification"]),
  z.enum(["", "=", "<", "<=", ">", ">=", "~"], { error: "a qualifier is blank or one of = < <= > >= ~" }),
  z.string().regex(/^\d+(\.\d+)?$/, "not a number"),
  z.string(),
  z.string().max(2000),
  z.string().max(2000),
]);

const VALUE_TYPE: Record<string, ValueType> = {
  "LD50": "LD50",
  "GHS classification": "GHS_category",
  "EPA classification": "EPA_category",
};
/** Category ranges as the workbook's Notes define them (GHS 1–5, EPA 1–4). */
const CATEGORY_MAX: Partial<Record<ValueType, number>> = { GHS_category: 5, EPA_category: 4 };
const SEX = { "": null, "Female": "female", "Male": "male", "Male/Female": "male/female" } as const;
export const ICE_SOURCE_CITATION = "NICEATM/NIEHS Integrated Chemical Environment (ICE), Acute Oral Toxicity V1.0 " +
  "(https://ice.ntp.niehs.nih.gov/DATASETDESCRIPTION), LD50 extract in AndersenLab/EHP_manuscript";

export const readNiehsIce: CsvReader = async function* (rows) {
  const it = rows[Symbol.asyncIterator]();
  await takeHeader(it, "niehs-ice", (h) => h.join(",") === ICE_COLUMNS.join(","), ICE_COLUMNS.join(","));
  let row = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    row++;
    const cells = r.value;
    if (cells.length !== ICE_COLUMNS.length) {
      yield {
        kind: "rejected",
        row,
        field: "(row)",
        reason: `expected ${ICE_COLUMNS.length} fields, got ${cells.length}`,
      };
      continue;
    }
    const p = Row.safeParse(cells);
    if (!p.success) {
      yield { kind: "rejected", row, ...firstIssue(p.error, ICE_COLUMNS) };
      continue;
    }
    const [
      ,
      ,
      ,
      recordId,
      mixture,
      name,
      cas,
      dtxsid,
      formId,
      formName,
      pct,
      species,
      sex,
      ,
      endpoint,
      mod,
      value,
      unit,
      ref,
      url,
    ] = p.data;
    const valueType = VALUE_TYPE[endpoint];
    let n;
    try {
      n = normalize(valueType, Number(value), unit);
    } catch (e) {
      const reason = e instanceof UnknownUnitError ? e.message : (e as Error).message;
      yield { kind: "rejected", row, field: "Response Unit", reason };
      continue;
    }
    const max = CATEGORY_MAX[valueType];
    if (max && !(Number.isInteger(n.value) && n.value >= 1 && n.value <= max)) {
      yield { kind: "rejected", row, field: "Response", reason: `a ${endpoint} is an integer from 1 to ${max}` };
      continue;
    }
    const identifiers = { name: name || null, cas: cas || null, dtxsid: dtxsid || null };
    yield {
      kind: "record",
      record: {
        source: "niehs-ice",
        source_record_id: recordId,
        source_row: row,
        substance: mixture === "Mixture"
          ? {
            kind: "formulation",
            formulation_id: formId || null,
            name: formName || null,
            percent_active_ingredient: pct || null,
            active_ingredient: identifiers,
          }
          : { kind: "chemical", identifiers },
        assay: "Rat Acute Oral Toxicity",
        endpoint: "acute oral toxicity",
        value_type: valueType,
        raw: { qualifier: mod || null, value, unit },
        normalized: { qualifier: (mod || "=") as "=", ...n },
        species: species ? "rat" : null,
        route: "oral",
        duration: null,
        sex: SEX[sex],
        citation: ref || null,
        url: url || null,
      },
    };
  }
};
