// Benchmark of the token path (a script, not a test): token issuance latency, verification CPU per request
// (cold and cached), /health/ping as anon vs a verified service token vs a user token side by side in one run,
// and single-row write throughput with and without the audit trigger. Variants are interleaved in rounds so a
// noisy machine affects each alike. Writes <out-dir>/tokens-bench.{json,md} (default reports/tokens-runs/).
//   npm run bench -- tokens [--seconds 3 --rounds 3 --concurrency 8]   (the KPI report's run, into reports/<date>/)
//   deno run -A --config deno.json scripts/bench/tokens.ts [--seconds 3 --rounds 3 --concurrency 8 --out-dir DIR]
// Runs against the stack named by CRYO_STACK (default dev; start it with npm start) and CRYO_PORT_OFFSET.
// It creates a service client and a few molecules of team Alpha (removed afterwards), and disables the
// audit trigger of public.molecules only for the "without audit" rounds (re-enabled in finally).
import { parseArgs } from "node:util";
import postgres from "postgres";
import { importJWK, SignJWT } from "jose";
import { authConfig, Verifier } from "../../supabase/functions/_shared/auth.ts";
import { parseKeyRing } from "../../supabase/functions/_shared/signing-keys.ts";
import { Database } from "../../supabase/functions/_shared/db.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { hashClientSecret, newClientSecret } from "../../supabase/functions/_shared/client-secret.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8" },
    issuance: { type: "string", default: "200" },
    "out-dir": { type: "string", default: "reports/tokens-runs" },
  },
});
const SECONDS = Number(args.seconds), ROUNDS = Number(args.rounds), C = Number(args.concurrency);
const ROOT = new URL("../../", import.meta.url);

// Where the stack is: ask the stack script (Node) for its status.
const st = JSON.parse(new TextDecoder().decode(
  (await new Deno.Command("node", {
    args: [
      "--input-type=module",
      "-e",
      `
    const { stackConfig } = await import("./scripts/lib/config.mjs");
    const s = await import("./scripts/stack.mjs");
    console.log(JSON.stringify(await s.status(stackConfig())));`,
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
  }).output()).stdout,
));
const FN: string = st.FUNCTIONS_URL, API = FN.replace(/\/functions\/v1$/, "");
const admin = postgres(st.DB_URL, { max: 2, prepare: false, onnotice: () => {} });
const ALPHA = "783103de-d80a-54d2-859c-4b2aea2e914f";
const ALICE = "a11ce000-0000-4000-8000-000000000001";

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

// --- fixtures: a client of Alpha (molecules:write metrics:read), a user token for Alice ---
const pepper = (await Deno.readTextFile(new URL(".local/keys/client_secret_pepper", ROOT))).trim();
const secret = newClientSecret();
const [client] = await admin`select client_id from private.create_service_client(${ALPHA}::uuid,
  ${"bench " + crypto.randomUUID().slice(0, 8)}, ${[
  "molecules:write",
  "metrics:read",
]}::text[], ${await hashClientSecret(secret, pepper)})`;
const form = new URLSearchParams({
  grant_type: "client_credentials",
  client_id: client.client_id,
  client_secret: secret,
});
const issue = async (): Promise<string> => {
  const r = await fetch(`${FN}/service-token`, { method: "POST", body: form });
  if (r.status === 429) { // the per-caller limit (the test stack keeps the production 300/s): wait and retry
    await r.body?.cancel();
    await new Promise((res) => setTimeout(res, 1000));
    return issue();
  }
  if (r.status !== 200) throw new Error(`token endpoint: ${r.status} ${await r.text()}`);
  return (await r.json()).access_token as string;
};
const authJwk = JSON.parse(await Deno.readTextFile(new URL(".local/keys/signing_key.json", ROOT)));
const authKey = await importJWK(authJwk, "ES256");
const userToken = () =>
  new SignJWT({
    iss: `${API}/auth/v1`,
    aud: "authenticated",
    role: "authenticated",
    sub: ALICE,
    jti: crypto.randomUUID(),
  })
    .setProtectedHeader({ alg: "ES256", kid: authJwk.kid, typ: "JWT" }).setIssuedAt().setExpirationTime("1h").sign(
      authKey,
    );

// --- 1. token issuance: sequential requests (latency), after a short warm-up ---
for (let i = 0; i < 10; i++) await issue();
const issuance: number[] = [];
for (let i = 0; i < Number(args.issuance); i++) {
  const t = performance.now();
  await issue();
  issuance.push(performance.now() - t);
}

// --- 2. verification CPU per request, in process (one thread: wall time of a CPU-bound loop) ---
const ringText = await Deno.readTextFile(new URL(".local/keys/service_signing_keys.json", ROOT));
const cfg = authConfig({ SUPABASE_URL: API });
const ringP = parseKeyRing(ringText); // parsed once, as keyRing() does in the functions
const serviceTokens: string[] = [];
for (let i = 0; i < 300; i++) serviceTokens.push(await issue()); // one at a time: the per-caller limit
const users = await Promise.all(Array.from({ length: 300 }, userToken));
async function perVerify(tokens: string[], cacheMax: string, repeat: number) {
  const v = new Verifier(authConfig({ SUPABASE_URL: API, CRYO_AUTH_CACHE_MAX: cacheMax }), () => ringP);
  for (const t of tokens.slice(0, 5)) await v.verify(t); // JWKS fetched, keys imported
  const t0 = performance.now();
  let n = 0;
  for (let r = 0; r < repeat; r++) for (const t of tokens) (await v.verify(t), n++);
  return ((performance.now() - t0) * 1000) / n;
}
const verification = {
  service_cold_us: round2(await perVerify(serviceTokens, "0", 2)),
  service_cached_us: round2(await perVerify(serviceTokens, "10000", 10)),
  user_cold_us: round2(await perVerify(users, "0", 2)),
  user_cached_us: round2(await perVerify(users, "10000", 10)),
};
void cfg;

// --- 3. /health/ping as anon, service token, user token: interleaved rounds, C concurrent loops ---
async function load(headers: Record<string, string>, seconds: number) {
  const lat: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: C }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await fetch(`${FN}/health/ping`, { headers });
      await r.arrayBuffer();
      if (r.status === 200) lat.push(performance.now() - t);
      else errors++;
    }
  }));
  return { rps: lat.length / seconds, lat, errors };
}
const svc = await issue(), usr = await userToken();
const variants: Record<string, Record<string, string>> = {
  anon: {},
  service_token: { authorization: `Bearer ${svc}` },
  user_token: { authorization: `Bearer ${usr}` },
};
const ping: Record<string, { rps: number[]; lat: number[]; errors: number }> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, h] of Object.entries(variants)) {
    const x = await load(h, SECONDS);
    ping[name] ??= { rps: [], lat: [], errors: 0 };
    ping[name].rps.push(x.rps);
    ping[name].lat.push(...x.lat);
    ping[name].errors += x.errors;
  }
}

// --- 4. single-row writes as cryo_service through the database module, with and without the audit trigger ---
const verifier = new Verifier(cfg, () => ringP);
const claims = (await verifier.verify(svc)).claims;
const db = new Database(loadConfig({ CRYO_DB_URL: st.POOLER_URL, CRYO_ENV: "local", CRYO_LOG_LEVEL: "error" }));
const letters = () =>
  Array.from({ length: 24 }, () => String.fromCharCode(65 + Math.floor(Math.random() * 26))).join("");
async function writes(seconds: number) {
  let n = 0, errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < end) {
      const k = letters();
      try {
        await db.queryAs(
          claims,
          (tx) =>
            tx`insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
             values (${"bench " + k}, 'C', ${`${k.slice(0, 14)}-${k.slice(14)}-N`}, 'bench-tokens', ${ALPHA}, 'team')`,
        );
        n++;
      } catch {
        errors++;
      }
    }
  }));
  return { tps: n / seconds, errors };
}
const write: Record<string, { tps: number[]; errors: number }> = {
  with_audit: { tps: [], errors: 0 },
  without_audit: { tps: [], errors: 0 },
};
try {
  await writes(1); // warm-up (template verification, connections)
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of ["with_audit", "without_audit"]) {
      await admin.unsafe(
        `alter table public.molecules ${name === "with_audit" ? "enable" : "disable"} trigger audit_row_change`,
      );
      const x = await writes(SECONDS);
      write[name].tps.push(x.tps);
      write[name].errors += x.errors;
    }
  }
} finally {
  await admin.unsafe("alter table public.molecules enable trigger audit_row_change");
  await admin`delete from public.molecules where source = 'bench-tokens'`;
  await admin`select private.delete_service_client(${client.client_id})`;
  await db.end();
  await admin.end();
}

const median = (xs: number[]) => quantile(xs, 0.5);
const report = {
  at: new Date().toISOString(),
  stack: st.FUNCTIONS_URL,
  settings: { seconds: SECONDS, rounds: ROUNDS, concurrency: C, issuance_requests: Number(args.issuance) },
  load_average: (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).map(Number),
  issuance_ms: { p50: round2(quantile(issuance, 0.5)), p99: round2(quantile(issuance, 0.99)), n: issuance.length },
  verification_us_per_request: verification,
  ping: Object.fromEntries(
    Object.entries(ping).map(([k, v]) => [k, {
      rps_median: Math.round(median(v.rps)),
      rps_rounds: v.rps.map(Math.round),
      p50_ms: round2(quantile(v.lat, 0.5)),
      p99_ms: round2(quantile(v.lat, 0.99)),
      errors: v.errors,
    }]),
  ),
  writes: Object.fromEntries(
    Object.entries(write).map(([k, v]) => [k, {
      tps_median: Math.round(median(v.tps)),
      tps_rounds: v.tps.map(Math.round),
      errors: v.errors,
    }]),
  ),
};
const audit_overhead_pct = round2(
  (1 - report.writes.with_audit.tps_median / report.writes.without_audit.tps_median) * 100,
);
const md = `# Token path benchmark (${report.at})

Stack ${report.stack}; ${ROUNDS} interleaved rounds of ${SECONDS} s per variant; load average at the end ${
  report.load_average.join(" ")
}.
The machine has 2 shared cores: compare variants within this run, not with other runs.

| token issuance (sequential, ${report.issuance_ms.n} requests) | p50 ${report.issuance_ms.p50} ms | p99 ${report.issuance_ms.p99} ms |
|---|---|---|

| verification per request (in process) | cold | cached |
|---|---|---|
| service token (ES256, our key ring) | ${verification.service_cold_us} µs | ${verification.service_cached_us} µs |
| user token (ES256, project JWKS) | ${verification.user_cold_us} µs | ${verification.user_cached_us} µs |

| /health/ping, c=${C} | req/s (median of rounds) | rounds | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|
${
  Object.entries(report.ping).map(([k, v]) =>
    `| ${k} | ${v.rps_median} | ${v.rps_rounds.join(" / ")} | ${v.p50_ms} | ${v.p99_ms} | ${v.errors} |`
  ).join("\n")
}

| single-row insert as cryo_service, c=4 | tx/s (median) | rounds | errors |
|---|---|---|---|
${
  Object.entries(report.writes).map(([k, v]) =>
    `| ${k} | ${v.tps_median} | ${v.tps_rounds.join(" / ")} | ${v.errors} |`
  ).join("\n")
}

Audit trigger cost on single-row writes: ${audit_overhead_pct} % (goal ≤ 30 %).
`;
const outDir = new URL(`${args["out-dir"].replace(/\/?$/, "/")}`, ROOT);
await Deno.mkdir(outDir, { recursive: true });
await Deno.writeTextFile(
  new URL("tokens-bench.json", outDir),
  JSON.stringify({ ...report, audit_overhead_pct }, null, 2) + "\n",
);
await Deno.writeTextFile(new URL("tokens-bench.md", outDir), md);
console.log(md);
Deno.exit(0);
