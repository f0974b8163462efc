// Format rules of registry identifiers. The CAS rule is the one of scripts/chemistry/identifiers.mjs (the
// seed's Node code), written again here because Node 20 cannot import TypeScript and an edge function
// cannot import from scripts/; identifiers.test.ts proves the two agree.

/** A standard InChIKey: 14 letters (connectivity), 10 (stereo, isotopes, version), 1 (protonation). */
export const INCHIKEY_RE = /^[A-Z]{14}-[A-Z]{10}-[A-Z]$/;
/** An EPA CompTox substance id. */
export const DTXSID_RE = /^DTXSID\d{5,12}$/;

/**
 * True when `cas` is a well-formed CAS registry number whose check digit is right (the last digit is the
 * sum of the other digits, each times its position counted from the right, mod 10).
 */
export function casValid(cas: string): boolean {
  const m = /^(\d{2,7})-(\d{2})-(\d)$/.exec(cas);
  if (!m) return false;
  const digits = (m[1] + m[2]).split("").reverse();
  const sum = digits.reduce((s, d, i) => s + Number(d) * (i + 1), 0);
  return sum % 10 === Number(m[3]);
}

/** The first block of an InChIKey: the connectivity skeleton, without stereo, isotopes or protonation. */
export const inchikeySkeleton = (inchikey: string): string => inchikey.slice(0, 14);
