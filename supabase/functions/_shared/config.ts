// Environment configuration of the edge functions, validated once at start-up.
// CRYO_DB_URL must be the transaction pooler (Supavisor :6543 in production, pgbouncer locally), logging in
// as cryo_api; names starting with SUPABASE_ are reserved for the platform's own secrets.
import { z } from "./deps.ts";

const Env = z.object({
  CRYO_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL of the transaction pooler"),
  SUPABASE_URL: z.string().url().optional(),
});

export type Config = z.infer<typeof Env>;

export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const r = Env.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid edge-function configuration:\n${lines}`);
  }
  return r.data;
}
