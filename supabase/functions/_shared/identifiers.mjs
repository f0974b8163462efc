// Format rules of the registry identifiers stored beside a structure: one definition for the edge functions
// (Deno) and the Node tools (the seed generator), hence JavaScript with JSDoc types (Node 20 cannot import
// TypeScript, and code deployed as a function cannot import from scripts/).

/** A standard InChIKey: 14 letters (connectivity), 10 (stereo, isotopes, version), 1 (protonation). */
export const INCHIKEY_RE = /^[A-Z]{14}-[A-Z]{10}-[A-Z]$/;
/** An EPA CompTox substance id. */
export const DTXSID_RE = /^DTXSID\d{5,12}$/;

/**
 * True when `cas` is a well-formed CAS registry number whose check digit is right (the last digit is the
 * sum of the other digits, each times its position counted from the right, mod 10): a typo is caught
 * rather than stored.
 * @param {string} cas
 * @returns {boolean}
 */
export function casValid(cas) {
  const m = /^(\d{2,7})-(\d{2})-(\d)$/.exec(cas);
  if (!m) return false;
  const digits = (m[1] + m[2]).split("").reverse();
  const sum = digits.reduce((s, d, i) => s + Number(d) * (i + 1), 0);
  return sum % 10 === Number(m[3]);
}

/**
 * The first block of an InChIKey: the connectivity skeleton, without stereo, isotopes or protonation.
 * @param {string} inchikey
 * @returns {string}
 */
export const inchikeySkeleton = (inchikey) => inchikey.slice(0, 14);
