// Reconciliation rules on hand-made records: duplicate, agreement from another source, conflict, buckets.
import assert from "node:assert/strict";
import { GOOD } from "./_fixtures.ts";
import { Reconciler } from "./reconcile.ts";
import type { ToxicityRecord } from "./record.ts";

const rec = (o: Partial<ToxicityRecord> = {}, raw: Partial<ToxicityRecord["raw"]> = {}): ToxicityRecord =>
  ({ ...GOOD, ...o, raw: { ...GOOD.raw, ...raw } }) as ToxicityRecord;

Deno.test("identical → duplicate; same value from another citation → imported; another value → conflict", () => {
  const r = new Reconciler();
  const first = rec({ source_row: 1, source_record_id: "A" });
  assert.equal(r.add({ kind: "record", record: first }), first);
  assert.equal(
    r.add({ kind: "record", record: rec({ source_row: 2, source_record_id: "B" }) }),
    null,
    "same but for ids",
  );
  assert.ok(r.add({ kind: "record", record: rec({ source_row: 3, citation: "another study" }) }), "agreeing source");
  assert.equal(r.inConflict(first), false);
  const other = rec({ source_row: 4 }, { value: "28.3" });
  assert.ok(r.add({ kind: "record", record: other }));
  assert.equal(r.inConflict(first), true);
  assert.ok(
    r.add({ kind: "record", record: rec({ source_row: 5, sex: "female" }, { value: "28.3" }) }),
    "another context",
  );
  assert.equal(r.inConflict(rec({ sex: "female" })), false);
  r.add({ kind: "not_a_record", row: 6, field: "X" });
  r.add({ kind: "rejected", row: 7, field: "smiles", reason: "r" });
  r.add({ kind: "rejected", row: 7, field: "smiles", reason: "r" });
  const s = r.summary();
  assert.deepEqual(s.buckets, { imported: 4, duplicate: 1, rejected: 2, not_a_record: 1 });
  assert.equal(s.units, 8);
  assert.equal(s.rejected_rows, 1);
  assert.deepEqual(s.rejections, [{ row: 7, field: "smiles", reason: "r" }], "one entry per (row, field, reason)");
  assert.equal(s.conflict_groups, 1);
  assert.equal(s.conflicting_substances, 1);
});
