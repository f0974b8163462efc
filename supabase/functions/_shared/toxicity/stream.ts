// Bytes in, CSV rows or NDJSON lines out, streamed. csv-parse is fed bytes (its stream, fed JS strings,
// silently yields no rows in 7.x); a gzip file is recognised by its magic bytes and inflated with the web
// DecompressionStream. Nothing is buffered whole: memory stays bounded by the chunk size.
import { parse } from "csv-parse";
import { Readable } from "node:stream";

/** A stream that inflated past its limit (a gzip bomb, or a file too large for the caller). */
export class TooLargeError extends Error {
  readonly code = "TOO_LARGE";
  constructor(readonly limit: number) {
    super(`the decompressed input exceeds ${limit} bytes`);
  }
}

/** `stream`, inflated when it starts with the gzip magic bytes (1f 8b), and cut at `maxBytes` if given. */
export function decompressed(stream: ReadableStream<Uint8Array>, maxBytes = Infinity): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let out: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (!out) {
        // Read until two bytes are in hand (a first chunk may be a single byte), then route the rest.
        let first = new Uint8Array(0);
        while (first.length < 2) {
          const r = await reader.read();
          if (r.done) break;
          const joined = new Uint8Array(first.length + r.value.length);
          joined.set(first);
          joined.set(r.value, first.length);
          first = joined;
        }
        const gz = first[0] === 0x1f && first[1] === 0x8b;
        const rest = new ReadableStream<Uint8Array>({
          start(c) {
            if (first.length) c.enqueue(first);
          },
          async pull(c) {
            const r = await reader.read();
            if (r.done) c.close();
            else c.enqueue(r.value);
          },
          cancel: (reason) => reader.cancel(reason),
        });
        out = (gz
          ? rest.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>)
          : rest).getReader();
      }
      const r = await out.read();
      if (r.done) return ctl.close();
      seen += r.value.length;
      if (seen > maxBytes) {
        await out.cancel();
        throw new TooLargeError(maxBytes);
      }
      ctl.enqueue(r.value);
    },
    cancel: (reason) => out ? out.cancel(reason) : reader.cancel(reason),
  });
}

/**
 * The CSV records of a byte stream (already decompressed), each an array of strings as written (no type
 * casting, no trimming). Rows may have any number of fields: the readers' schemas decide.
 */
export async function* csvRecords(bytes: ReadableStream<Uint8Array>): AsyncGenerator<string[]> {
  const parser = parse({ relax_column_count: true, bom: true, skip_empty_lines: false });
  // deno-lint-ignore no-explicit-any
  const src = Readable.fromWeb(bytes as any);
  src.on("error", (e) => parser.destroy(e));
  src.pipe(parser);
  for await (const rec of parser) yield rec as string[];
}

/** The lines of a byte stream (already decompressed), without their "\n" or "\r\n". */
export async function* lines(bytes: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of bytes.pipeThrough(new TextDecoderStream("utf-8", { fatal: true }))) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const p of parts) yield p.endsWith("\r") ? p.slice(0, -1) : p;
  }
  if (rest) yield rest;
}
