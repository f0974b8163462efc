// Units: each conversion checked against arithmetic written out by hand, round trips, and refusals by name.
import assert from "node:assert/strict";
import {
  concentrationFromMicromolar,
  concentrationToMicromolar,
  doseFromMgPerKg,
  doseToMgPerKg,
  fractionToPercent,
  MolecularWeightError,
  normalize,
  parseUnit,
  percentToFraction,
  UnitMismatchError,
  UNITS,
  UnknownUnitError,
  VALUE_TYPES,
} from "./units.ts";
import { QUALIFIERS } from "./record.ts";
import { TOXICITY_QUALIFIERS, TOXICITY_VALUE_TYPES } from "../vocabulary.ts";

const close = (a: number, b: number, rel = 1e-12) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)), `${a} ≈ ${b}`);

Deno.test("mg/kg ↔ mmol/kg ↔ mol/kg through the molecular weight (DMSO, 78.136 g/mol)", () => {
  // 14,500 mg/kg ÷ 78.136 g/mol = 185.574 mmol/kg = 0.185574 mol/kg
  close(doseFromMgPerKg(14500, "mmol/kg", 78.136), 14500 / 78.136);
  close(doseFromMgPerKg(14500, "mmol/kg", 78.136), 185.5739, 1e-6);
  close(doseFromMgPerKg(14500, "mol/kg", 78.136), 0.1855739, 1e-6);
  close(doseToMgPerKg(185.5739, "mmol/kg", 78.136), 14500, 1e-6);
  close(doseToMgPerKg(2, "g/kg"), 2000);
});

Deno.test("log10(1/(mol/kg)) → mg/kg: LD50_Zhu's DMSO 0.731 is 10^-0.731 × 78.136 × 1000 ≈ 14,516 mg/kg", () => {
  // 10^-0.731 = 0.185780 mol/kg; × 78.136 g/mol = 14.5161 g/kg = 14,516 mg/kg (PROVENANCE says 14,515 with MW 78.13)
  const v = doseToMgPerKg(0.731, "log10(1/(mol/kg))", 78.136);
  close(v, Math.pow(10, -0.731) * 78.136 * 1000);
  assert.equal(Math.round(v), 14516);
  close(doseToMgPerKg(0.731, "log10(1/(mol/kg))", 78.13), 14515.0, 1e-4);
  // and back: −log10(14,516.1 / 78.136 / 1000) = 0.731
  close(doseFromMgPerKg(v, "log10(1/(mol/kg))", 78.136), 0.731);
  // glycerol 0.8640000000000001 with 92.094: 10^-0.864 × 92.094 × 1000 = 12,595.96 (PROVENANCE: 12,595 with 92.09)
  assert.equal(Math.round(doseToMgPerKg(0.8640000000000001, "log10(1/(mol/kg))", 92.094)), 12596);
});

Deno.test("µM ↔ mg/L through the molecular weight; nM, mM, M by powers of ten", () => {
  // 78.136 mg/L of DMSO = 1 mmol/L = 1000 µM
  close(concentrationToMicromolar(78.136, "mg/L", 78.136), 1000);
  close(concentrationToMicromolar(78.136, "µg/mL", 78.136), 1000);
  close(concentrationFromMicromolar(1000, "mg/L", 78.136), 78.136);
  close(concentrationToMicromolar(250, "nM"), 0.25);
  close(concentrationToMicromolar(1.5, "mM"), 1500);
  close(concentrationToMicromolar(0.002, "M"), 2000);
  for (const u of ["nM", "µM", "mM", "M", "mg/L"] as const) {
    close(concentrationFromMicromolar(concentrationToMicromolar(3.7, u, 92.094), u, 92.094), 3.7);
  }
});

Deno.test("percentages: 7.5 % is a fraction of 0.075, and back", () => {
  close(percentToFraction(7.5), 0.075);
  close(fractionToPercent(0.075), 7.5);
});

Deno.test("normalize: one canonical unit per value type, the conversion named", () => {
  assert.deepEqual(normalize("LD50", 14500, "mg/kg"), { value: 14500, unit: "mg/kg", conversion: "as given" });
  const z = normalize("LD50", 0.731, "log10(1/(mol/kg))", 78.136);
  assert.equal(z.unit, "mg/kg");
  assert.equal(z.conversion, "log10(1/(mol/kg)) → mg/kg: 10^-x × MW × 1000, MW 78.136 g/mol");
  assert.equal(normalize("AC50", 250, "nM").value, 0.25);
  assert.equal(normalize("AC50", 250, "nM").unit, "µM");
  assert.deepEqual(normalize("hit_call", 1, "call"), { value: 1, unit: "call", conversion: "as given" });
  assert.deepEqual(normalize("GHS_category", 4, "Unitless"), { value: 4, unit: "category", conversion: "as given" });
});

Deno.test("unknown units are refused by name; no default unit; a mismatched unit or missing MW is refused", () => {
  for (const bad of ["mg/kg-day", "MG/KG", "ppm", "", "furlongs"]) {
    assert.throws(
      () => parseUnit(bad),
      (e) => e instanceof UnknownUnitError && e.unit === bad && e.message.includes(JSON.stringify(bad)),
    );
  }
  assert.throws(() => parseUnit(null), UnknownUnitError);
  assert.throws(() => normalize("LD50", 1, null), UnknownUnitError);
  assert.throws(() => normalize("LD50", 1, "µM"), UnitMismatchError);
  assert.throws(() => normalize("AC50", 1, "mg/kg"), UnitMismatchError);
  assert.throws(() => normalize("LD50", 1, "mmol/kg"), MolecularWeightError);
  assert.throws(() => normalize("LD50", 1, "mmol/kg", 0), MolecularWeightError);
  assert.throws(() => normalize("AC50", 1, "mg/L", Number.NaN), MolecularWeightError);
  for (const u of UNITS) assert.equal(parseUnit(u), u, `${u} parses as itself`);
});

Deno.test("the value types and qualifiers are the database's: units.ts and record.ts equal the generated vocabulary", () => {
  // vocabulary.ts is generated from the domains public.toxicity_value_type / public.toxicity_qualifier.
  assert.deepEqual([...VALUE_TYPES].sort(), [...TOXICITY_VALUE_TYPES].sort());
  assert.deepEqual([...QUALIFIERS].sort(), [...TOXICITY_QUALIFIERS].sort());
});
