// The two values the app needs, read at run time from config.json beside index.html, so that one build serves
// any project (docs/web-app.md): the project URL and its anon (publishable) key, both public by design.

export interface AppConfig {
  /** The project URL, e.g. https://<ref>.supabase.co (Auth at /auth/v1, functions at /functions/v1). */
  supabaseUrl: string;
  /** The anon or publishable key: identifies the project, grants only what RLS grants `anon`. */
  anonKey: string;
  /** Optional text on the sign-in page (the local stack names its demo users there). */
  signInHint?: string;
}

export class ConfigError extends Error {}

let loaded: AppConfig | null = null;

/** The configuration loadConfig() read (null before it has). */
export function appConfig(): AppConfig | null {
  return loaded;
}

/** Fetches and checks ./config.json; throws ConfigError saying what is wrong with it. */
export async function loadConfig(): Promise<AppConfig> {
  let raw: unknown;
  try {
    const r = await fetch("./config.json", { cache: "no-store" });
    if (!r.ok) throw new ConfigError(`config.json could not be loaded (HTTP ${r.status})`);
    raw = await r.json();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError("config.json is missing or is not JSON");
  }
  const c = raw as Partial<AppConfig>;
  if (typeof c?.supabaseUrl !== "string" || !/^https?:\/\/[^/]+/.test(c.supabaseUrl)) {
    throw new ConfigError("config.json: supabaseUrl must be the project URL (https://<ref>.supabase.co)");
  }
  if (typeof c.anonKey !== "string" || c.anonKey.length < 20) {
    throw new ConfigError("config.json: anonKey must be the project's anon (publishable) key");
  }
  loaded = {
    supabaseUrl: c.supabaseUrl.replace(/\/+$/, ""),
    anonKey: c.anonKey,
    signInHint: typeof c.signInHint === "string" ? c.signInHint : undefined,
  };
  return loaded;
}
