// One dependency map per runtime, and they agree: Deno code (edge functions, their tests, scripts/**/*.ts)
// imports third-party code only through bare specifiers pinned in deno.json `imports`; Node code uses
// package.json. A package on both sides (postgres, zod, ...) must be pinned to the same version in both,
// so a function and the script that tests or feeds it never run different releases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const npmPins = { ...pkg.dependencies, ...pkg.devDependencies };

/** deno.json imports as { specifier: { name, version } }; throws on anything but `npm:<name>@<version>[/sub]`. */
function denoPins() {
  const out = {};
  for (const [spec, target] of Object.entries(deno.imports ?? {})) {
    const m = /^npm:((?:@[^/@]+\/)?[^/@]+)@([^/]+)(\/.*)?$/.exec(target);
    assert.ok(m, `deno.json imports["${spec}"] = "${target}" is an npm: specifier with a version`);
    out[spec] = { name: m[1], version: m[2] };
  }
  return out;
}

/** The Deno sources: every .ts under supabase/functions, tests (not node tests) and scripts. */
function denoSources() {
  const files = [];
  for (const dir of ["supabase/functions", "tests", "scripts"]) {
    for (const f of readdirSync(join(ROOT, dir), { recursive: true })) {
      if (String(f).endsWith(".ts")) files.push(join(dir, String(f)));
    }
  }
  return files;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;

test("deno.json pins every import to one exact npm version", () => {
  const pins = denoPins();
  assert.ok(Object.keys(pins).length > 0, "deno.json has imports");
  for (const [spec, { name, version }] of Object.entries(pins)) {
    assert.match(version, /^\d+\.\d+\.\d+(-[\w.]+)?$/, `${spec} -> ${name}@${version} is an exact version`);
  }
  const byName = {};
  for (const { name, version } of Object.values(pins)) (byName[name] ??= new Set()).add(version);
  for (const [name, versions] of Object.entries(byName)) {
    assert.equal(versions.size, 1, `${name} has one version in deno.json (${[...versions].join(", ")})`);
  }
});

test("a package used by Deno and Node code has the same version in deno.json and package.json", () => {
  const shared = [];
  for (const { name, version } of Object.values(denoPins())) {
    if (!(name in npmPins)) continue;
    shared.push(name);
    assert.equal(npmPins[name], version, `${name}: deno.json pins ${version}, package.json ${npmPins[name]}`);
  }
  // postgres and zod are on both sides today; if none were, this test would check nothing.
  assert.ok(shared.length >= 2, `shared packages found: ${shared.join(", ")}`);
});

test("Deno code imports third-party code only through the bare specifiers of deno.json", () => {
  const keys = Object.keys(deno.imports ?? {});
  const problems = [];
  for (const file of denoSources()) {
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("node:")) continue;
      if (/^(npm|jsr|https?):/.test(spec)) problems.push(`${file}: inline "${spec}" (pin it in deno.json)`);
      else if (!keys.some((k) => k === spec || (k.endsWith("/") && spec.startsWith(k)))) {
        problems.push(`${file}: "${spec}" is not mapped in deno.json imports`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
