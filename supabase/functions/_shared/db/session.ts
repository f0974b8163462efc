// The known state every transaction starts from, whatever a previous client left on the pooled server
// connection. A transaction-mode pooler (pgbouncer, Supavisor) never resets a session between clients, so a
// client that ran `set request.jwt.claim.sub = '<alice>'`, `set row_security = off`,
// `set default_transaction_read_only = on`, `set search_path = pg_temp, public`, `set enable_indexscan = off`
// or `set role …` at session level would otherwise reach the next client's transaction.
//
// Every transaction therefore opens with (1) BEGIN with explicit isolation level and access mode (the
// session's defaults may be poisoned), (2) RESET ALL (every setting back to the role/database default,
// custom placeholders such as the legacy request.jwt.claim.* included; it never touches `role`), and (3) the
// role, statement timeout and a search_path with pg_temp explicitly last, as transaction-local settings.
// That message is pure ASCII and carries nothing of the caller, so it cannot be mangled by a poisoned
// client_encoding and never puts identity into a log line. The caller's claims (and statement values) follow
// in a message of their own, as dollar-quoted literals.
//
// Temp objects a previous client created on the server connection live on: with pg_temp last in our
// search_path they cannot shadow any relation or type our statements name (functions and operators are
// never looked up in pg_temp), and the API roles have no TEMP privilege where the platform allows revoking it.
import { badValue } from "./errors.ts";

/** The only roles application work may run as: none is superuser or BYPASSRLS (checked at first connect). */
export const ALLOWED_ROLES = ["anon", "authenticated", "cryo_service"] as const;
export type ApiRole = typeof ALLOWED_ROLES[number];

/** The search_path of every request transaction: the catalog first, pg_temp explicitly last. */
export const API_SEARCH_PATH = "pg_catalog, public, extensions, pg_temp";

/** Prefix of the transaction-local settings that carry statement values (see render.ts). */
export const VALUE_SETTING = "cryo.p";

/**
 * A literal Postgres reads back verbatim whatever its settings (no escapes inside dollar quotes). The tag does
 * not occur in the text at all (not even as `$tag` at its end, which would run into the closing delimiter).
 * Text with NUL is refused with 400: Postgres text cannot hold it.
 */
export function dollarQuote(text: string): string {
  if (text.includes("\0")) throw badValue("text values must not contain NUL characters");
  let tag = "c";
  while (text.includes(`$${tag}`)) tag = `c${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  return `$${tag}$${text}$${tag}$`;
}

/**
 * The statements that reset the session and set role, timeout and search_path, after `begin` (when `begin`
 * is true) — as one simple-protocol query text. `role` must come from ALLOWED_ROLES (the caller checks).
 */
export function resetText(role: ApiRole, statementTimeoutMs: number, readOnly: boolean, begin: boolean): string {
  if (!(ALLOWED_ROLES as readonly string[]).includes(role)) throw new Error(`role ${role} is not allowed`);
  const ms = Math.trunc(statementTimeoutMs);
  return (begin ? `begin isolation level read committed, ${readOnly ? "read only" : "read write"}; ` : "") +
    "reset all; " +
    `select pg_catalog.set_config('role', '${role}', true), ` +
    `pg_catalog.set_config('statement_timeout', '${ms}', true), ` +
    `pg_catalog.set_config('search_path', '${API_SEARCH_PATH}', true)`;
}

/**
 * The caller's claims as `request.jwt.claims` (what auth.uid()/auth.jwt() and our helpers read), and the
 * statement values as `cryo.p<n>`, all transaction-local, in one statement. Only dollar-quoted literals vary,
 * so pg_stat_statements keeps one normalized entry per number of values. `extra.requestId` becomes
 * `cryo.request_id`; `extra.assertLive` (role cryo_service) adds private.assert_service_token_live().
 */
export function settingsText(
  claims: Record<string, unknown>,
  values: string[],
  extra: { requestId?: string; assertLive?: boolean } = {},
): string {
  // Claims as ASCII (\uXXXX escapes, which jsonb reads back as the same text), so they can share the reset message.
  const json = JSON.stringify(claims).replace(
    /[\u0080-\uffff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const parts = [`pg_catalog.set_config('request.jwt.claims', ${dollarQuote(json)}, true)`];
  values.forEach((v, i) => parts.push(`pg_catalog.set_config('${VALUE_SETTING}${i + 1}', ${dollarQuote(v)}, true)`));
  // The request id the audit triggers record (ASCII only, so it may share the reset message).
  if (extra.requestId !== undefined) {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(extra.requestId)) {
      throw badValue("request ids are 1-64 characters [A-Za-z0-9._:-]");
    }
    parts.push(`pg_catalog.set_config('cryo.request_id', '${extra.requestId}', true)`);
  }
  // A service token is refused (SQLSTATE 28000) when revoked, its client disabled or its secret rotated since
  // it was issued: checked after the claims are set, in the same statement, so revocation costs no round trip.
  if (extra.assertLive) parts.push("private.assert_service_token_live()");
  return `select ${parts.join(", ")}`;
}
