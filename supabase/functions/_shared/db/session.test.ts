// session.ts: the texts every transaction starts with (no database needed).
import assert from "node:assert/strict";
import { API_SEARCH_PATH, dollarQuote, resetText, settingsText } from "./session.ts";

Deno.test("dollarQuote never uses a tag that occurs in the text, even as a prefix of the closing delimiter", () => {
  for (const text of ["plain", "", "$c$", "ends with $c", "$$", "x$c", "$c$c$c", "a$c1b", "o'brien", "\\' \\\\"]) {
    const q = dollarQuote(text);
    const tag = q.slice(0, q.indexOf("$", 1) + 1);
    assert.ok(!text.includes(tag.slice(0, -1)), `the tag ${tag} does not occur in ${JSON.stringify(text)}`);
    assert.equal(q, `${tag}${text}${tag}`);
  }
  assert.throws(() => dollarQuote("a\0b"), (e: { status: number }) => e.status === 400);
});

Deno.test("the reset opens the transaction explicitly, resets the session, and puts pg_temp last", () => {
  const t = resetText("authenticated", 3000.7, true, true);
  assert.match(t, /^begin isolation level read committed, read only; reset all; /);
  assert.match(t, /set_config\('role', 'authenticated', true\)/);
  assert.match(t, /set_config\('statement_timeout', '3000', true\)/);
  assert.ok(t.includes(`'${API_SEARCH_PATH}'`));
  assert.match(API_SEARCH_PATH, /^pg_catalog, .*pg_temp$/);
  assert.match(resetText("anon", 1, false, false), /^reset all; /, "inside sql.begin, no BEGIN of its own");
  assert.throws(() => resetText("postgres" as never, 1, false, true), /not allowed/);
  // deno-lint-ignore no-control-regex
  assert.match(t, /^[\x00-\x7f]*$/, "pure ASCII");
});

Deno.test("claims travel as ASCII JSON that decodes to the same claims; values are numbered settings", () => {
  const claims = { role: "authenticated", sub: "s", email: "zoë@例え.jp", note: "$c$'); --" };
  const t = settingsText(claims, ["a'b", "$c$"]);
  // deno-lint-ignore no-control-regex
  assert.match(t, /^[\x00-\x7f]*$/, "ASCII");
  const json = t.match(/'request\.jwt\.claims', \$(\w*)\$(.*?)\$\1\$, true/)!;
  assert.deepEqual(JSON.parse(json[2]), claims);
  assert.match(t, /set_config\('cryo\.p1', \$c\$a'b\$c\$, true\)/);
  assert.match(t, /set_config\('cryo\.p2', \$c\w+\$\$c\$\$c\w+\$, true\)/);
});

Deno.test("the request id and, for service tokens, the liveness check go in the claims statement", () => {
  const t = settingsText({ role: "cryo_service" }, [], { requestId: "0b6c-req_1.x", assertLive: true });
  assert.match(t, /set_config\('cryo\.request_id', '0b6c-req_1\.x', true\), private\.assert_service_token_live\(\)$/);
  assert.ok(t.indexOf("request.jwt.claims") < t.indexOf("assert_service_token_live"), "claims are set first");
  assert.doesNotMatch(settingsText({ role: "authenticated" }, []), /assert_service_token_live|request_id/);
  for (const bad of ["", "a'b", "x".repeat(65), "a b", "é"]) {
    assert.throws(() => settingsText({}, [], { requestId: bad }), (e: { status: number }) => e.status === 400);
  }
});
