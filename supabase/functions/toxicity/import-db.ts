// What the import routes send to Postgres and how its answers map to HTTP: a verified record as the flat row
// private.toxicity_import_batch stages (with the record key computed here, never taken from the client), the
// rejection codes, and the SQLSTATEs of the import definers (supabase/migrations/20261130080000_toxicity_import.sql).
import { createHash } from "node:crypto";
import { DbError } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { contextKey, substanceKey, valueKey } from "../_shared/toxicity/reconcile.ts";
import type { ToxicityRecord } from "../_shared/toxicity/record.ts";

/** One record as the batch definer stages it (jsonb_to_recordset column names). */
export type DbRecord = Record<string, string | number | null>;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * The idempotency key of a record: sha256 of its source, substance, context (assay, endpoint, value type,
 * species, route, sex, duration), raw value and citation — the identity reconcile.ts uses for duplicates,
 * so the database's duplicate bucket equals the dry run's. The source row and record id are not in it:
 * the same statement under two ids is one record.
 */
export function recordKey(r: ToxicityRecord): string {
  return sha256([r.source, substanceKey(r), contextKey(r), valueKey(r), r.citation ?? ""].join("\u0000"));
}

/** A verified record as the definer's staging row. */
export function toDbRecord(r: ToxicityRecord): DbRecord {
  const s = r.substance;
  const base: DbRecord = {
    record_key: recordKey(r),
    source: r.source,
    source_row: r.source_row,
    source_record_id: r.source_record_id,
    kind: s.kind,
    assay: r.assay,
    endpoint: r.endpoint,
    value_type: r.value_type,
    raw_qualifier: r.raw.qualifier,
    raw_value: r.raw.value,
    raw_unit: r.raw.unit,
    qualifier: r.normalized.qualifier,
    value: r.normalized.value,
    unit: r.normalized.unit,
    conversion: r.normalized.conversion,
    species: r.species,
    route: r.route,
    duration: r.duration,
    sex: r.sex,
    citation: r.citation,
    url: r.url,
  };
  if (s.kind === "structure") {
    Object.assign(base, {
      smiles: s.canonical_smiles,
      inchi: s.inchi,
      inchikey: s.inchikey,
      molecular_weight: s.molecular_weight,
      components: s.components,
    });
  } else if (s.kind === "chemical") {
    Object.assign(base, { name: s.identifiers.name, cas: s.identifiers.cas, dtxsid: s.identifiers.dtxsid });
  } else {
    Object.assign(base, {
      formulation_id: s.formulation_id,
      formulation_name: s.name,
      percent_active_ingredient: s.percent_active_ingredient,
      ai_name: s.active_ingredient.name,
      ai_cas: s.active_ingredient.cas,
      ai_dtxsid: s.active_ingredient.dtxsid,
    });
  }
  return base;
}

/** A machine-readable code for a rejection the readers or the verifier made (field + reason). */
export function rejectionCode(field: string, reason: string): string {
  if (/^unknown unit/.test(reason)) return "UNKNOWN_UNIT";
  if (/cannot express/.test(reason)) return "UNIT_MISMATCH";
  if (/molecular weight/.test(reason)) return "MOLECULAR_WEIGHT_REQUIRED";
  if (/smiles/i.test(field) && /RDKit|parse|InChI/i.test(reason)) return "INVALID_STRUCTURE";
  if (/disagrees|differs/.test(reason)) return "CLAIM_MISMATCH";
  if (/qualifier/.test(field)) return "INVALID_QUALIFIER";
  if (field === "(line)") return "NOT_JSON";
  return "INVALID_VALUE";
}

/** The import definers' SQLSTATEs as API errors (others go through the database module's mapping). */
export function importError(e: unknown): unknown {
  if (!(e instanceof DbError)) return e;
  switch (e.pgCode) {
    case "TXJ04":
      return new ApiError(404, "JOB_NOT_FOUND", "no such import job");
    case "TXJ09":
      return new ApiError(409, "JOB_NOT_OPEN", "the import job is not open (committed, failed or aborted)");
    case "TXM09":
      return new ApiError(
        409,
        "MISSING_BATCHES",
        "the job does not hold every batch the commit expects: resend the missing ones",
      );
    case "TXB09":
      return new ApiError(409, "BATCH_MISMATCH", "this batch number was received with other content");
    case "TXC03":
      return new ApiError(
        403,
        "NOT_A_CURATOR",
        "only curator teams may import public records; import with visibility team",
      );
    case "TXS22":
      return new ApiError(
        400,
        "UNKNOWN_SOURCE",
        "unknown source: name a known data set (tox21, toxcast, ld50-zhu, niehs-ice)",
      );
    case "TXI22":
      return new ApiError(400, "INVALID_BATCH", "the batch is inconsistent (key, row, substance or counts)");
    default:
      return e;
  }
}
