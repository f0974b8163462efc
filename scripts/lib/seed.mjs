// supabase/seed.sql, loaded once per cluster (a marker next to the data remembers which seed it holds).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./config.mjs";
import { log } from "./proc.mjs";
import { mustPsql } from "./postgres.mjs";

/**
 * The file recording which seed stack `c`'s database holds (its sha256): next to the cluster, so that it lives
 * and dies with the data it describes.
 */
export function seededMarker(c) {
  return join(c.root, "seeded");
}

function seedHash() {
  return createHash("sha256").update(readFileSync(join(ROOT, "supabase/seed.sql"))).digest("hex");
}

/**
 * Loads supabase/seed.sql as `postgres` in one transaction unless this cluster was seeded (then only notes a
 * changed seed: `npm run reset` reloads it). Throws StackError when the seed fails.
 */
export function applySeed(c) {
  const marker = seededMarker(c);
  if (existsSync(marker)) {
    if (readFileSync(marker, "utf8").trim() !== seedHash()) {
      log("note: supabase/seed.sql changed since this database was seeded; `npm run reset` reloads it");
    }
    return;
  }
  log("loading supabase/seed.sql");
  // As `postgres`, like the CLI's `db reset`, so the seed cannot rely on superuser powers.
  mustPsql(c, "seed (supabase/seed.sql)", { user: "postgres", file: join(ROOT, "supabase/seed.sql"), extra: ["-1"] });
  writeFileSync(marker, seedHash());
}
