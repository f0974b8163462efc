// Environment configuration of the edge functions, validated once at start-up with one clear message per
// bad variable. Defaults are chosen for a transaction-mode pooler (Supavisor :6543 in production, pgbouncer
// locally): a small client-side pool, short timeouts, and a breaker that gives up fast while the database is
// away. Names starting with SUPABASE_ are reserved for the platform's own secrets, hence CRYO_*.
import { z } from "zod";

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

// The direct connection (db.<ref>.supabase.co:5432, user postgres) bypasses RLS and the pooler; production
// must go through the transaction pooler.
const DIRECT_HOST = /^db\.[a-z0-9]+\.supabase\.(co|net|in)$/i;

const Env = z.object({
  CRYO_ENV: z.enum(["production", "local"]).default("production"),
  CRYO_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL of the transaction pooler"),
  CRYO_DB_POOL_MAX: int(4, 1, 100),
  CRYO_DB_IDLE_TIMEOUT_S: int(20, 0, 3600),
  CRYO_DB_MAX_LIFETIME_S: int(1800, 0, 86400),
  CRYO_DB_CONNECT_TIMEOUT_MS: int(1000, 100, 60000),
  CRYO_DB_RECONNECT_DELAY_MS: int(100, 0, 10000),
  CRYO_DB_ACQUIRE_TIMEOUT_MS: int(1000, 1, 60000),
  CRYO_DB_STATEMENT_TIMEOUT_MS: int(3000, 1, 600000),
  CRYO_DB_REQUEST_TIMEOUT_MS: int(5000, 10, 600000),
  CRYO_DB_QUEUE_LIMIT: int(64, 0, 100000),
  CRYO_DB_RETRY_MAX_ATTEMPTS: int(2, 0, 10),
  CRYO_DB_RETRY_INITIAL_MS: int(20, 1, 10000),
  CRYO_DB_RETRY_MAX_DELAY_MS: int(250, 1, 60000),
  CRYO_DB_BREAKER_THRESHOLD: int(3, 1, 1000),
  CRYO_DB_BREAKER_HALF_OPEN_MS: int(1000, 50, 600000),
  CRYO_DB_SLOW_QUERY_MS: int(500, 0, 600000),
  CRYO_DB_ONE_ROUND_TRIP: z.enum(["0", "1", "true", "false"]).default("1").transform((v) => v === "1" || v === "true"),
  CRYO_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SUPABASE_URL: z.string().url().optional(),
}).superRefine((e, ctx) => {
  let url: URL;
  try {
    url = new URL(e.CRYO_DB_URL.replace(/^postgres(ql)?:/, "http:"));
  } catch {
    ctx.addIssue({ code: "custom", path: ["CRYO_DB_URL"], message: "is not a parseable URL" });
    return;
  }
  if (e.CRYO_ENV === "production") {
    if (DIRECT_HOST.test(url.hostname) || url.port === "5432" || url.port === "") {
      ctx.addIssue({
        code: "custom",
        path: ["CRYO_DB_URL"],
        message: `looks like the direct connection or session mode (${url.hostname}:${url.port || 5432}); ` +
          "production must use the transaction pooler (…pooler.supabase.com:6543)",
      });
    }
  }
  if (e.CRYO_DB_REQUEST_TIMEOUT_MS < e.CRYO_DB_ACQUIRE_TIMEOUT_MS) {
    ctx.addIssue({
      code: "custom",
      path: ["CRYO_DB_REQUEST_TIMEOUT_MS"],
      message: "must be at least CRYO_DB_ACQUIRE_TIMEOUT_MS",
    });
  }
});

export type Config = z.infer<typeof Env>;

class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  // An empty variable means "unset", so a blank line in an env file falls back to the default.
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = Env.safeParse(clean);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`).join("\n");
    throw new ConfigError(`invalid edge-function configuration:\n${lines}`);
  }
  return r.data;
}
