// No service role anywhere at run time: no edge function, no module they import, not the local gateway that
// serves them, not the token client, nor the test helpers and scripts that act as API callers reference the
// service-role key, a secret API key, or a superuser / BYPASSRLS login; and the login role the functions
// use, with every role they may switch to, can bypass no policy.
import assert from "node:assert/strict";
import { adminSql } from "./_helpers.ts";

const ROOT = new URL("../", import.meta.url);

/** Code lines (comments dropped, so a comment may explain what is forbidden) that match a forbidden pattern. */
const FORBIDDEN: [RegExp, string][] = [
  [/SERVICE_ROLE_KEY/i, "the service-role key"],
  [/SUPABASE_SECRET_KEYS?\b/, "a Supabase secret API key"],
  [/\bsb_secret_/, "a Supabase secret API key"],
  [/["'`]service_role["'`]/, "the service_role role"],
  [/["'`]supabase_admin["'`]|\/\/supabase_admin[@:]/, "the bootstrap superuser"],
  [/postgres(ql)?:\/\/(postgres|supabase_admin|service_role)[:@]/, "a connection as a BYPASSRLS / superuser role"],
  [/\bsuperUrl\b|\bdbUrl\b|\bDB_URL\b/, "the direct admin connection"],
  [/set\s+(local\s+)?role\s+(postgres|service_role|supabase_admin)/i, "switching to a privileged role"],
  [/row_security\s*=\s*off/i, "turning RLS off"],
];

export function violations(path: string, text: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  text.split("\n").forEach((raw, i) => {
    let line = raw;
    if (inBlock) {
      const end = line.indexOf("*/");
      if (end < 0) return;
      line = line.slice(end + 2);
      inBlock = false;
    }
    line = line.replace(/\/\*.*?\*\//g, "");
    const start = line.indexOf("/*");
    if (start >= 0) (line = line.slice(0, start), inBlock = true);
    line = line.replace(/(^|[^:"'`])\/\/.*$/, "$1");
    for (const [re, what] of FORBIDDEN) if (re.test(line)) out.push(`${path}:${i + 1}: ${what}: ${raw.trim()}`);
  });
  return out;
}

async function* files(dir: URL, filter: (name: string) => boolean): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* files(u, filter);
    else if (filter(e.name)) yield u;
  }
}

Deno.test("the scanner catches each forbidden form (so the next test can fail)", () => {
  assert.equal(violations("x", `const k = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY");`).length, 1);
  assert.equal(violations("x", `postgres("postgresql://postgres:postgres@db:5432/postgres")`).length, 1);
  assert.equal(violations("x", `await tx\`set local role service_role\``).length, 1);
  assert.equal(violations("x", `const r = { role: "service_role" };`).length, 1);
  assert.equal(violations("x", `// never use SUPABASE_SERVICE_ROLE_KEY here`).length, 0, "comments are fine");
});

Deno.test("no run-time code references the service role, a secret key, or a privileged connection", async () => {
  const runtime: URL[] = [];
  // Every function and every shared module (their unit tests excluded: they run no requests).
  for await (
    const f of files(new URL("supabase/functions/", ROOT), (n) => /\.m?[jt]s$/.test(n) && !n.includes(".test."))
  ) {
    runtime.push(f);
  }
  for (const p of ["scripts/functions-server.ts", "scripts/keys.mjs", "tests/_tokens.ts"]) {
    runtime.push(new URL(p, ROOT));
  }
  assert.ok(runtime.length > 10, `scanned ${runtime.length} files`);
  const found: string[] = [];
  for (const f of runtime) {
    const rel = f.pathname.slice(ROOT.pathname.length);
    found.push(...violations(rel, await Deno.readTextFile(f)));
  }
  assert.deepEqual(found, []);
  // What the local stack hands the functions: the pooler URL of cryo_api, never a key of the service role.
  const lib = await Deno.readTextFile(new URL("scripts/lib/functions.mjs", ROOT));
  const start = lib.indexOf("export function functionsEnv");
  assert.ok(start >= 0, "scripts/lib/functions.mjs defines functionsEnv");
  const env = lib.slice(start, lib.indexOf("\n}\n", start));
  assert.match(env, /CRYO_DB_URL: poolerUrl\(c, secrets\)/);
  assert.deepEqual(violations("scripts/lib/functions.mjs#functionsEnv", env), []);
});

Deno.test("the functions' login role and every role they switch to bypass no policy", async () => {
  const sql = adminSql();
  try {
    const rows = await sql`select rolname, rolsuper, rolbypassrls from pg_roles
      where rolname in ('cryo_api', 'anon', 'authenticated', 'cryo_service') order by rolname`;
    assert.equal(rows.length, 4);
    for (const r of rows) assert.deepEqual([r.rolname, r.rolsuper, r.rolbypassrls], [r.rolname, false, false]);
    // cryo_api cannot become service_role or postgres (only the whitelisted API roles).
    const [m] = await sql`select pg_has_role('cryo_api', 'service_role', 'member') as sr,
      pg_has_role('cryo_api', 'postgres', 'member') as pg`;
    assert.deepEqual([m.sr, m.pg], [false, false]);
  } finally {
    await sql.end();
  }
});
