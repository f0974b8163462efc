// Shared by the Deno integration tests: where the running test stack is, and a direct admin connection.
import postgres from "postgres";

export const FUNCTIONS_URL = Deno.env.get("FUNCTIONS_URL") ?? "http://127.0.0.1:54421/functions/v1";
export const DB_URL = Deno.env.get("DB_URL") ?? "postgresql://postgres:postgres@127.0.0.1:54422/postgres";
export const POOLER_URL = Deno.env.get("POOLER_URL") ?? "";

/** A direct connection as `postgres` (the migration owner), for arranging fixtures. */
export function adminSql() {
  return postgres(DB_URL, { max: 2, prepare: false, onnotice: () => {} });
}
