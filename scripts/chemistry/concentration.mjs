// The one conversion a molecular weight allows between concentration units (as published, never converted for
// storage; the units themselves are the database's concentration_unit domain, supabase/vocabulary.json):
// molar to mass per volume.

/**
 * `concentration` (in `from`, a concentration unit) expressed in `to`, or null when that needs more than the
 * molecular weight `mw` (g/mol): molal and % v/v need densities. Used to check a stated total against
 * its components, never to store a converted value.
 */
export function convertConcentration(concentration, from, to, mw) {
  if (from === to) return concentration;
  if (mw == null) return null;
  // mol/L × g/mol = g/L, and g/L ÷ 10 = g/100 mL = % w/v.
  if (from === "M" && to === "% w/v") return (concentration * mw) / 10;
  if (from === "% w/v" && to === "M") return (concentration * 10) / mw;
  return null;
}
