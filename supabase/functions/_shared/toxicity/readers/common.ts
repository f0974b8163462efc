// What every reader emits, and the pieces readers share.
import type { z } from "zod";
import type { ToxicityRecord } from "../record.ts";
import { isFailure, type Structure, type StructureFailure } from "../structures.ts";

/**
 * One input unit's fate. A unit is a row of a tabular file, or a cell of a hit-call matrix (one row × one
 * assay), so that `imported + duplicate + rejected + not_a_record` always equals the units read.
 */
export type Outcome =
  | { kind: "record"; record: ToxicityRecord }
  /** An empty matrix cell: not tested or no call. Never a 0. */
  | { kind: "not_a_record"; row: number; field: string }
  /** `row` is the 1-based data row (header excluded); `field` the column (or JSON path) at fault. */
  | { kind: "rejected"; row: number; field: string; reason: string };

/** What readers need from outside: structures from SMILES (computed once per distinct SMILES). */
export interface ReaderContext {
  structure: (smiles: string) => Structure | StructureFailure;
}

export type CsvReader = (rows: AsyncIterable<string[]>, ctx: ReaderContext) => AsyncGenerator<Outcome>;

/** The file's header is not the one this format has: nothing of the file is read. */
export class HeaderError extends Error {
  readonly code = "WRONG_HEADER";
  constructor(readonly format: string, readonly expected: string, readonly got: string) {
    super(`not a ${format} file: expected the header ${expected}, got ${got.slice(0, 300)}`);
  }
}

/** The header row (the first record), or a HeaderError naming the format. */
export async function takeHeader(
  it: AsyncIterator<string[]>,
  format: string,
  check: (h: string[]) => boolean,
  expected: string,
): Promise<string[]> {
  const first = await it.next();
  const h = first.done ? [] : first.value;
  if (!check(h)) throw new HeaderError(format, expected, h.join(","));
  return h;
}

/** The first zod issue of a failed parse, as (field, reason); `fields` names array positions. */
export function firstIssue(err: z.ZodError, fields?: readonly string[]): { field: string; reason: string } {
  const issue = err.issues[0];
  const path = issue.path.map((p) => typeof p === "number" && fields ? fields[p] ?? String(p) : String(p));
  return { field: path.join(".") || "(row)", reason: issue.message };
}

/** A structure, or null after emitting nothing: callers turn the failure into their rejections. */
export function structureOf(ctx: ReaderContext, smiles: string): { structure: Structure } | { reason: string } {
  const s = ctx.structure(smiles);
  return isFailure(s) ? { reason: s.error } : { structure: s };
}

/** The record's `substance` for a structure computed from `smiles`. */
export const structureSubstance = (smiles: string, s: Structure) => ({ kind: "structure" as const, smiles, ...s });

/** A hit call: raw "1"/"1.0" → 1, "0"/"0.0" → 0; the source states no unit, the call is its own unit. */
export function hitCallValue(raw: string): { qualifier: "="; value: number; unit: "call"; conversion: string } {
  return { qualifier: "=", value: Number(raw), unit: "call", conversion: "hit call as given (1 active, 0 inactive)" };
}
