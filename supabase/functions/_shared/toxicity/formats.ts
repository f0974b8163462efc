// The input formats and the one loop that reads a file through its reader into the reconciler.
import { type CsvReader, type Outcome, type ReaderContext } from "./readers/common.ts";
import { readCryoprotect } from "./readers/cryoprotect.ts";
import { readLd50Zhu } from "./readers/ld50_zhu.ts";
import { readNiehsIce } from "./readers/niehs_ice.ts";
import { readTox21 } from "./readers/tox21.ts";
import { readToxcast } from "./readers/toxcast.ts";
import { Reconciler, type ReconcileSummary } from "./reconcile.ts";
import type { ToxicityRecord } from "./record.ts";
import { csvRecords, decompressed, lines } from "./stream.ts";
import { computeStructure, rdkit, type Structure, type StructureFailure } from "./structures.ts";

export const FORMATS = ["tox21", "toxcast", "ld50-zhu", "niehs-ice", "cryoprotect"] as const;
export type Format = typeof FORMATS[number];

const CSV_READERS: Record<Exclude<Format, "cryoprotect">, CsvReader> = {
  "tox21": readTox21,
  "toxcast": readToxcast,
  "ld50-zhu": readLd50Zhu,
  "niehs-ice": readNiehsIce,
};

/** The format a file name suggests (the four public files' names, or .ndjson/.jsonl), or null. */
export function formatFromName(name: string): Format | null {
  const base = name.split("/").pop()!.toLowerCase().replace(/\.gz$/, "");
  if (/\.(ndjson|jsonl)$/.test(base)) return "cryoprotect";
  if (base.startsWith("tox21")) return "tox21";
  if (base.startsWith("toxcast")) return "toxcast";
  if (base.startsWith("ld50_zhu") || base.startsWith("ld50-zhu")) return "ld50-zhu";
  if (base.startsWith("acute_oral_toxicity")) return "niehs-ice";
  return null;
}

export interface ImportOptions {
  format: Format;
  /** Called with every record to import (not duplicates), and whether its group is in conflict so far. */
  onRecord?: (r: ToxicityRecord) => void;
  /** Called every `progressEvery` data rows with the rows read so far. */
  onProgress?: (rows: number) => void;
  progressEvery?: number;
  /** Refuse more than this many decompressed bytes (TooLargeError). */
  maxBytes?: number;
  ctx?: ReaderContext;
}

export interface ImportSummary extends ReconcileSummary {
  format: Format;
  /** Data rows read (lines for cryoprotect), header excluded. */
  rows: number;
  /** Distinct SMILES computed with RDKit (0 when the caller passed its own context). */
  structures: number;
}

/** A reader context computing each distinct SMILES once with RDKit (`computed()`: how many so far). */
export async function rdkitContext(): Promise<ReaderContext & { computed: () => number }> {
  const R = await rdkit();
  const cache = new Map<string, Structure | StructureFailure>();
  return {
    structure: (smiles) => {
      let s = cache.get(smiles);
      if (!s) cache.set(smiles, s = computeStructure(R, smiles));
      return s;
    },
    computed: () => cache.size,
  };
}

/**
 * Every unit of `bytes` (a file, gzip or not) read as `format`, in file order, not reconciled: the uploader
 * sends all of them and the database decides duplicates by record key. `onRow` gets the data rows read so
 * far. Throws as readAll does (HeaderError, TooLargeError, CSV errors).
 */
export function readOutcomes(
  bytes: ReadableStream<Uint8Array>,
  format: Format,
  ctx: ReaderContext,
  opts: { maxBytes?: number; onRow?: (rows: number) => void } = {},
): AsyncGenerator<Outcome> {
  let rows = 0;
  const plain = decompressed(bytes, opts.maxBytes);
  async function* counted<T>(it: AsyncIterable<T>): AsyncGenerator<T> {
    let first = format !== "cryoprotect";
    for await (const x of it) {
      if (first) first = false;
      else opts.onRow?.(++rows);
      yield x;
    }
  }
  return format === "cryoprotect"
    ? readCryoprotect(counted(lines(plain)), ctx)
    : CSV_READERS[format](counted(csvRecords(plain)), ctx);
}

/**
 * Reads `bytes` (a file, gzip or not) as `format`, reconciling every unit. Throws HeaderError for a file
 * that is not of the format, TooLargeError past `maxBytes`, and a CSV parse error for malformed CSV;
 * row-level problems are rejections, never exceptions.
 */
export async function readAll(bytes: ReadableStream<Uint8Array>, opts: ImportOptions): Promise<ImportSummary> {
  let computed = 0;
  let ctx = opts.ctx;
  if (!ctx) {
    const R = await rdkit();
    const cache = new Map<string, Structure | StructureFailure>();
    ctx = {
      structure: (smiles) => {
        let s = cache.get(smiles);
        if (!s) {
          computed++;
          cache.set(smiles, s = computeStructure(R, smiles));
        }
        return s;
      },
    };
  }
  const rec = new Reconciler();
  const every = opts.progressEvery ?? 1000;
  let rows = 0;
  const plain = decompressed(bytes, opts.maxBytes);
  async function* counted<T>(it: AsyncIterable<T>): AsyncGenerator<T> {
    let first = opts.format !== "cryoprotect"; // the CSV header is not a data row
    for await (const x of it) {
      if (first) first = false;
      else if (++rows % every === 0) opts.onProgress?.(rows);
      yield x;
    }
  }
  const outcomes = opts.format === "cryoprotect"
    ? readCryoprotect(counted(lines(plain)), ctx)
    : CSV_READERS[opts.format](counted(csvRecords(plain)), ctx);
  for await (const o of outcomes) {
    const r = rec.add(o);
    if (r && opts.onRecord) opts.onRecord(r);
  }
  opts.onProgress?.(rows);
  return { format: opts.format, rows, structures: computed, ...rec.summary() };
}
