// The record schema (the `cryoprotect` line format) and its committed JSON Schema.
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { recordJsonSchema, ToxicityRecord } from "./record.ts";
import { GOOD } from "./_fixtures.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

Deno.test("docs/toxicity-record.schema.json is what the zod schema generates (regenerate: deno run -A scripts/import.ts --json-schema)", async () => {
  const committed = JSON.parse(await Deno.readTextFile(join(ROOT, "docs/toxicity-record.schema.json")));
  assert.deepEqual(
    committed,
    recordJsonSchema(),
    "stale: run `deno run -A scripts/import.ts --json-schema > docs/toxicity-record.schema.json`",
  );
});

Deno.test("a full record parses; objects are strict; the normalized unit must be the value type's canonical unit", () => {
  assert.ok(ToxicityRecord.safeParse(GOOD).success);
  assert.ok(!ToxicityRecord.safeParse({ ...GOOD, speceis: "rat" }).success, "a misspelt field is an error");
  const wrongUnit = ToxicityRecord.safeParse({ ...GOOD, normalized: { ...GOOD.normalized, unit: "µM" } });
  assert.ok(!wrongUnit.success);
  assert.deepEqual(wrongUnit.error.issues[0].path, ["normalized", "unit"]);
  assert.ok(!ToxicityRecord.safeParse({ ...GOOD, normalized: { ...GOOD.normalized, qualifier: "≈" } }).success);
  assert.ok(
    !ToxicityRecord.safeParse({ ...GOOD, species: undefined }).success,
    "species is stated or null, never absent",
  );
  assert.ok(!ToxicityRecord.safeParse({ ...GOOD, normalized: { ...GOOD.normalized, value: Infinity } }).success);
});
