// Local stand-in for the Supabase edge gateway (`supabase functions serve` needs Docker): serves every
// supabase/functions/<name>/index.ts at /functions/v1/<name>, handing each function the request path
// without the /functions/v1 prefix, as the hosted runtime does. Also publishes the local JWKS, and, when
// CRYO_BENCH_ROUTES=1 (local stacks), the load scenarios' routes of scripts/load/bench-routes.ts at
// /functions/v1/bench/* (no function may be called `bench` then). On a local stack (CRYO_ENV=local) it also
// answers supabase-js's Auth calls for the demo users at /auth/v1/* (scripts/platform/auth.ts), so that a
// browser app has Auth and functions under one project URL; elsewhere those paths are refused.
const port = Number(Deno.env.get("CRYO_FUNCTIONS_PORT") ?? 54321);
const root = new URL("../supabase/functions/", import.meta.url);

// Service-token keys and the client-secret pepper (scripts/keys.mjs), handed to the functions as the
// function secrets CRYO_SIGNING_KEYS and CRYO_CLIENT_SECRET_PEPPER would be in production. The key file is
// re-read twice a second, so `npm run keys -- rotate` reaches the running functions without a restart.
const keysDir = new URL("../.local/keys/", import.meta.url);
const readLocal = (name: string) => {
  try {
    return Deno.readTextFileSync(new URL(name, keysDir)).trim();
  } catch {
    return undefined;
  }
};
if (!Deno.env.get("CRYO_CLIENT_SECRET_PEPPER")) {
  const pepper = readLocal("client_secret_pepper");
  if (pepper) Deno.env.set("CRYO_CLIENT_SECRET_PEPPER", pepper);
}
if (!Deno.env.get("CRYO_SIGNING_KEYS")) {
  const load = () => {
    const keys = readLocal("service_signing_keys.json");
    if (keys && keys !== Deno.env.get("CRYO_SIGNING_KEYS")) Deno.env.set("CRYO_SIGNING_KEYS", keys);
  };
  load();
  setInterval(load, 500);
}

type Handler = { fetch: (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response> };
const functions = new Map<string, Handler>();

for await (const entry of Deno.readDir(root)) {
  if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
  const index = new URL(`${entry.name}/index.ts`, root);
  try {
    await Deno.stat(index);
  } catch {
    continue;
  }
  const mod = await import(index.href);
  if (typeof mod.default?.fetch !== "function") {
    throw new Error(`supabase/functions/${entry.name}/index.ts must export default { fetch }`);
  }
  functions.set(entry.name, mod.default);
}

if (Deno.env.get("CRYO_BENCH_ROUTES") === "1") {
  if (functions.has("bench")) {
    throw new Error("supabase/functions/bench clashes with the benchmark routes (CRYO_BENCH_ROUTES=1)");
  }
  const { benchApp } = await import("./load/bench-routes.ts");
  functions.set("bench", benchApp());
}

// The local Auth emulation: only on a local stack, and only when the local signing key exists.
const local = Deno.env.get("CRYO_ENV") === "local";
let auth: ((req: Request) => Promise<Response>) | null = null;
if (local) {
  const key = readLocal("signing_key.json");
  if (key) {
    const { localAuth } = await import("./platform/auth.ts");
    const demo = JSON.parse(await Deno.readTextFile(new URL("./seed/demo.json", import.meta.url)));
    auth = localAuth({
      issuer: `${Deno.env.get("SUPABASE_URL") ?? `http://127.0.0.1:${port}`}/auth/v1`,
      signingKey: JSON.parse(key),
      jwks: JSON.parse(Deno.env.get("SUPABASE_JWKS") ?? readLocal("jwks.json") ?? '{"keys":[]}'),
      users: demo.users,
    });
  }
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "access-control-allow-origin": "*" },
  });

const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req, info) => {
  const url = new URL(req.url);
  if (url.pathname === "/auth/v1/.well-known/jwks.json") {
    return new Response(Deno.env.get("SUPABASE_JWKS") ?? '{"keys":[]}', {
      headers: { "content-type": "application/json", "cache-control": "public, max-age=600" },
    });
  }
  if (url.pathname.startsWith("/auth/v1/")) {
    if (auth) return await auth(req);
    return json(404, {
      error: {
        code: "NOT_FOUND",
        message: "the Auth emulation runs only on a local stack (CRYO_ENV=local); use the project's Supabase Auth",
      },
    });
  }
  const m = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
  const fn = m && functions.get(m[1]);
  if (!fn) return json(404, { error: { code: "NOT_FOUND", message: `no function at ${url.pathname}` } });
  url.pathname = `/${m![1]}${m![2] ?? ""}`;
  // The connection's info goes along (as the hosted runtime hands it over): the rate limit may key on the address.
  return await fn.fetch(new Request(url, req), info);
});

console.log(JSON.stringify({ level: "info", msg: "functions served", port, functions: [...functions.keys()] }));

// postgres.js pools keep Deno alive after SIGTERM; exit explicitly once the listener is closed.
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(sig, async () => {
    await server.shutdown().catch(() => {});
    Deno.exit(0);
  });
}
