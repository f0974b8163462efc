// Format rules of the registry identifiers we store beside a structure.

/** A standard InChIKey: 14 letters (connectivity), 10 (stereo, isotopes, version), 1 (protonation). */
export const INCHIKEY_RE = /^[A-Z]{14}-[A-Z]{10}-[A-Z]$/;

/**
 * True when `cas` is a well-formed CAS registry number whose check digit is right (the last digit is the
 * sum of the other digits, each times its position counted from the right, mod 10): a typo is caught
 * rather than stored.
 */
export function casValid(cas) {
  const m = /^(\d{2,7})-(\d{2})-(\d)$/.exec(cas);
  if (!m) return false;
  const digits = (m[1] + m[2]).split("").reverse();
  const sum = digits.reduce((s, d, i) => s + Number(d) * (i + 1), 0);
  return sum % 10 === Number(m[3]);
}
