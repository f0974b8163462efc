// Where the real public files are (never committed): $CRYO_TOXICITY_DATA, else ../shared/data/toxicity
// beside the repository root, else beside the main worktree's root (a helper's worktree sits elsewhere).
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

function mainWorktreeRoot(): string | null {
  try {
    const out = new Deno.Command("git", { args: ["rev-parse", "--git-common-dir"], cwd: ROOT }).outputSync();
    if (!out.success) return null;
    return resolve(ROOT, new TextDecoder().decode(out.stdout).trim(), "..");
  } catch {
    return null;
  }
}

export const TOXICITY_DATA: string | null = (() => {
  const env = Deno.env.get("CRYO_TOXICITY_DATA");
  const candidates = [env, join(ROOT, "../shared/data/toxicity")];
  const main = mainWorktreeRoot();
  if (main) candidates.push(join(main, "../shared/data/toxicity"));
  return candidates.find((c) => c && existsSync(join(c, "PROVENANCE.md"))) ?? null;
})();

/** Deno.test's `ignore` for tests that need the files, printing why once. */
export function needsData(): boolean {
  if (!TOXICITY_DATA && !warned) {
    warned = true;
    console.log("SKIPPED: the real toxicity files are absent (../shared/data/toxicity, or set CRYO_TOXICITY_DATA)");
  }
  return !TOXICITY_DATA;
}
let warned = false;
