// What the stack needs installed before it starts: npm dependencies (npm ci when the lock is newer than
// node_modules) and Debian packages (apt-get, as root; otherwise the command to run is printed).
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./config.mjs";
import { isRoot, log, must, run, StackError } from "./proc.mjs";

/**
 * Debian packages the stack and `npm test` use. Never the server package (postgresql-15): naming it would
 * upgrade the installed server to a minor that breaks extensions (see the local-stack notes).
 *   sqlfluff: the SQL lint of the `format` suite (scripts/sql-lint.mjs). Not pgformatter: its pg_format rewrites
 *   the SQL inside dollar quotes (`%L` becomes `% L`, changing what a pgTAP case runs) and re-lays out every
 *   statement, which would undo the one-assertion-a-line shape of the spec files.
 *   postgresql-15-hypopg: hypothetical indexes for query monitoring (hosted projects have hypopg). It depends on
 *   `postgresql-15` unversioned, so apt installs it alone and leaves the server as it is (checked with 15.18).
 */
export const APT_PACKAGES = [
  "postgresql-15-pgtap",
  "postgresql-15-cron",
  "postgresql-15-plpgsql-check",
  "postgresql-15-hypopg",
  "pgbouncer",
  "libtap-parser-sourcehandler-pgtap-perl",
  "sqlfluff",
];

/**
 * Debian packages of the browser suite of `npm test` only (the web app in headless Chromium; playwright-core
 * drives it): Debian's chromium, because Playwright's own browser download is not reachable; a font so that
 * pages render text. The stack itself does not need them.
 */
export const BROWSER_APT_PACKAGES = ["chromium", "fonts-dejavu-core"];

/** The Chromium binary itself (/usr/bin/chromium is a shell wrapper that adds desktop flags). */
export const CHROMIUM = "/usr/lib/chromium/chromium";

/** Runs `npm ci` when node_modules is missing or older than package-lock.json; throws StackError if it fails. */
export function ensureNodeDeps() {
  const marker = join(ROOT, "node_modules", ".package-lock.json");
  const lock = join(ROOT, "package-lock.json");
  if (existsSync(marker) && (!existsSync(lock) || statSync(lock).mtimeMs <= statSync(marker).mtimeMs)) return;
  log("installing npm dependencies (npm ci)");
  must("npm", ["ci", "--no-audit", "--no-fund"], { cwd: ROOT, stdio: "inherit" }, "npm ci");
}

/**
 * Installs the missing `packages` (default APT_PACKAGES; apt-get, as root) and creates the `postgres` OS user if
 * needed. Without root, throws StackError with the command to run.
 */
export function ensureAptPackages(packages = APT_PACKAGES) {
  const missing = packages.filter((p) => {
    const r = run("dpkg-query", ["-W", "-f=${Status}", p]);
    return r.status !== 0 || !r.stdout.includes("install ok installed");
  });
  if (!missing.length) return;
  // Never name the server package nor upgrade: a newer minor would replace the installed server.
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${
    missing.join(" ")
  }`;
  if (!isRoot()) throw new StackError(`missing Debian packages: ${missing.join(", ")}\nrun as root:\n  ${cmd}`);
  log(`installing ${missing.join(", ")}`);
  must("apt-get", ["update", "-q"], { stdio: ["ignore", "ignore", "inherit"] }, "apt-get update");
  must("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  }, "apt-get install");
  if (run("id", ["-u", "postgres"]).status !== 0) must("useradd", ["--system", "--no-create-home", "postgres"]);
}
