// The toxicity API (supabase/functions/toxicity) called through supabase-js, exactly as any other client: the
// signed-in user's access token, else the anon key, goes along as the bearer token.
import { createClient, FunctionsFetchError, FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import type { AppConfig } from "./config.ts";

let client: SupabaseClient | null = null;

/** The one supabase-js client of the page (created by initClient). */
export function supabase(): SupabaseClient {
  if (!client) throw new Error("initClient() was not called");
  return client;
}

export function initClient(config: AppConfig): SupabaseClient {
  client = createClient(config.supabaseUrl, config.anonKey, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false },
  });
  return client;
}

/** An answer of the API that is not 2xx, or no answer (status 0): `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface CallOptions {
  method?: "GET" | "POST";
  body?: unknown;
  /** Accept header, e.g. "text/csv" (supabase-js then hands back text). */
  accept?: string;
}

/**
 * call<T>(path, options) → the parsed body of GET/POST /functions/v1/toxicity/<path> (JSON as T, text for
 * other content types). Throws ApiError: the API's own code and message for a 4xx/5xx, or status 0 with code
 * NETWORK when nothing answered.
 */
export async function call<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const { data, error } = await supabase().functions.invoke(`toxicity/${path.replace(/^\//, "")}`, {
    method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
    body: opts.body as Record<string, unknown> | undefined,
    headers: opts.accept ? { Accept: opts.accept } : undefined,
  });
  if (!error) return data as T;
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    let body: { error?: { code?: string; message?: string; details?: unknown } } | null = null;
    try {
      body = await res.json();
    } catch { /* not JSON: described by status alone */ }
    throw new ApiError(
      res.status,
      body?.error?.code ?? `HTTP_${res.status}`,
      body?.error?.message ?? res.statusText ?? "",
      body?.error?.details,
    );
  }
  if (error instanceof FunctionsFetchError) throw new ApiError(0, "NETWORK", String(error.message));
  throw new ApiError(0, "NETWORK", String((error as Error)?.message ?? error));
}
