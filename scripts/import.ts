// npm run import -- <file> [--format tox21|toxcast|ld50-zhu|niehs-ice|cryoprotect] --dry-run
//
// Streams a toxicity file (gzip too), validates and reconciles every row with the shared modules of the
// `toxicity` function (supabase/functions/_shared/toxicity), shows a progress bar (bytes of the file read,
// rows/s, ETA) on stderr, and prints the buckets as JSON on stdout. It sends nothing anywhere: the upload
// arrives with the toxicity function, and until then --dry-run is required.
//
//   deno run -A scripts/import.ts --json-schema   print the JSON Schema of a `cryoprotect` line
import cliProgress from "cli-progress";
import { parseArgs } from "node:util";
import { type Format, formatFromName, FORMATS, readAll } from "../supabase/functions/_shared/toxicity/formats.ts";
import { recordJsonSchema } from "../supabase/functions/_shared/toxicity/record.ts";

const USAGE = `usage: npm run import -- <file> [--format ${FORMATS.join("|")}] --dry-run`;

function fail(msg: string, code = 2): never {
  console.error(msg);
  Deno.exit(code);
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    format: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    "json-schema": { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});

if (values["json-schema"]) {
  console.log(JSON.stringify(recordJsonSchema(), null, 2));
  Deno.exit(0);
}
if (positionals.length !== 1) fail(USAGE);
const path = positionals[0];
const format = (values.format ?? formatFromName(path)) as Format | null;
if (!format) fail(`cannot tell the format of ${path} from its name: pass --format (${FORMATS.join("|")})`);
if (!FORMATS.includes(format)) fail(`unknown format ${JSON.stringify(format)}; formats: ${FORMATS.join(", ")}`);
if (!values["dry-run"]) {
  fail("only --dry-run exists yet: the upload to the toxicity function is not built (see docs/toxicity-data.md)");
}

const file = await Deno.open(path).catch((e) => fail(`cannot open ${path}: ${e.message}`));
const size = (await file.stat()).size;
let bytesRead = 0;
const counted = file.readable.pipeThrough(
  new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctl) {
      bytesRead += chunk.length;
      ctl.enqueue(chunk);
    },
  }),
);

// Progress is by bytes of the file on disk (known in advance, even for gzip), so the ETA is real; the rate
// shown is data rows per second.
const bar = new cliProgress.SingleBar({
  format: "{bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}",
  noTTYOutput: false,
  etaBuffer: 20,
  hideCursor: true,
}, cliProgress.Presets.shades_classic);
const quiet = values.quiet || !Deno.stderr.isTerminal();
const t0 = performance.now();
if (!quiet) bar.start(size, 0, { rows: 0, rate: 0 });

try {
  const summary = await readAll(counted, {
    format,
    progressEvery: 500,
    onProgress: (rows) => {
      if (quiet) return;
      const s = (performance.now() - t0) / 1000;
      bar.update(bytesRead, { rows, rate: Math.round(rows / Math.max(s, 1e-3)) });
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!quiet) {
    bar.update(size);
    bar.stop();
  }
  const { rejections, ...rest } = summary;
  console.log(JSON.stringify(
    {
      file: path,
      dry_run: true,
      ...rest,
      rejections: rejections.slice(0, 100),
      rejections_listed: Math.min(100, rejections.length),
      seconds: Number(seconds.toFixed(3)),
      rows_per_second: Math.round(summary.rows / seconds),
      units_per_second: Math.round(summary.units / seconds),
    },
    null,
    2,
  ));
} catch (e) {
  if (!quiet) bar.stop();
  const err = e as Error & { code?: string };
  fail(`${path}: ${err.code ? err.code + ": " : ""}${err.message}`, 1);
}
