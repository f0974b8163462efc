// errors.ts: which failures count as lost connections (no database needed).
import assert from "node:assert/strict";
import { connectionGone, isClientConnectionError, isServerConnectionError, statementError } from "./errors.ts";

const pg = (severity: string, code: string, message: string) => ({ name: "PostgresError", severity, code, message });

Deno.test("statement errors echoing pooler words are never connection failures", () => {
  for (
    const word of ["tenant", "pooler", "server conn crashed", "query_wait_timeout", "no more connections allowed"]
  ) {
    const e = pg("ERROR", "22P02", `invalid input syntax for type uuid: "${word}"`);
    assert.equal(connectionGone(e), false, word);
  }
  assert.equal(connectionGone(pg("ERROR", "08P01", "invalid message format")), false, "an ERROR leaves the connection");
});

Deno.test("FATAL and PANIC answers and socket errors are connection failures", () => {
  assert.ok(isServerConnectionError(pg("FATAL", "08P01", "query_wait_timeout")));
  assert.ok(isServerConnectionError(pg("FATAL", "57P01", "terminating connection due to administrator command")));
  assert.ok(isServerConnectionError(pg("PANIC", "XX000", "x")));
  assert.ok(isClientConnectionError({ code: "CONNECTION_CLOSED" }));
  assert.ok(!isClientConnectionError(pg("ERROR", "ECONNRESET", "a server code that looks like a socket code")));
});

Deno.test("statement errors map to stable codes without echoing other rows' keys", () => {
  const dup = statementError({ code: "23505", detail: "Key (inchikey)=(SECRET) already exists." });
  assert.equal(dup.status, 409);
  assert.ok(!dup.message.includes("SECRET"));
  assert.equal(statementError({ code: "22P02", message: "bad" }).status, 400);
  assert.equal(statementError({ code: "42501" }).status, 403);
  assert.equal(statementError({ code: "57014" }).status, 504);
  assert.equal(statementError({ code: "XX000" }).status, 500);
});

Deno.test("28000 from private.assert_service_token_live() is 401 invalid_token with the RFC 6750 challenge", () => {
  const e = statementError({ name: "PostgresError", severity: "ERROR", code: "28000", message: "token revoked" });
  assert.equal(e.status, 401);
  assert.equal(e.code, "invalid_token");
  assert.match(e.headers["WWW-Authenticate"], /^Bearer .*error="invalid_token"/);
  assert.equal(
    connectionGone({ name: "PostgresError", severity: "ERROR", code: "28000" }),
    false,
    "not a connection failure",
  );
});
