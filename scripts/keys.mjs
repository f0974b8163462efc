#!/usr/bin/env node
// The local stack's signing keys for service tokens, in the gitignored .local/keys/:
//   service_signing_keys.json   a JWK set, one `state` per key (standby, current, previous), private parts included
//   client_secret_pepper        the pepper of client-secret hashes (CRYO_CLIENT_SECRET_PEPPER)
// The local gateway (scripts/functions-server.ts) reads both and hands them to the functions as
// CRYO_SIGNING_KEYS and CRYO_CLIENT_SECRET_PEPPER, re-reading the key file when it changes (no restart).
//   npm run keys -- list      the keys: kid, state, created (never private parts)
//   npm run keys -- rotate    standby → current → previous; the older previous is dropped; a new standby
// In production the same JSON is the function secret CRYO_SIGNING_KEYS (docs/tokens.md: rotation steps).
// Self-contained (node: built-ins and jose only), so the stack and tests can import ensureServiceKeys().
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const KEYS_DIR = join(ROOT, ".local", "keys");
export const KEYS_FILE = join(KEYS_DIR, "service_signing_keys.json");
export const PEPPER_FILE = join(KEYS_DIR, "client_secret_pepper");

async function newKey(state) {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg: "ES256", use: "sig", state, created_at: new Date().toISOString() };
}

function write(file, text) {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // Write then rename, so the gateway never reads half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

export function readKeys() {
  return existsSync(KEYS_FILE) ? JSON.parse(readFileSync(KEYS_FILE, "utf8")) : null;
}

/** Creates the key set (a current and a standby key) and the pepper when missing. Idempotent. */
export async function ensureServiceKeys() {
  if (!readKeys()) write(KEYS_FILE, JSON.stringify({ keys: [await newKey("current"), await newKey("standby")] }, null, 2));
  if (!existsSync(PEPPER_FILE)) write(PEPPER_FILE, randomBytes(32).toString("base64url"));
}

/** One rotation: standby becomes current, current becomes previous, the older previous goes, a new standby. */
export async function rotateServiceKeys() {
  await ensureServiceKeys();
  const keys = readKeys().keys;
  const standby = keys.find((k) => k.state === "standby") ?? await newKey("standby");
  const current = keys.find((k) => k.state === "current");
  const next = [
    { ...standby, state: "current", rotated_at: new Date().toISOString() },
    ...(current ? [{ ...current, state: "previous" }] : []),
    await newKey("standby"),
  ];
  write(KEYS_FILE, JSON.stringify({ keys: next }, null, 2));
  return next;
}

const summary = (keys) => keys.map((k) => ({ kid: k.kid, state: k.state, alg: k.alg, created_at: k.created_at }));

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  if (cmd === "list") {
    await ensureServiceKeys();
    console.log(JSON.stringify({ file: KEYS_FILE, keys: summary(readKeys().keys) }, null, 2));
  } else if (cmd === "rotate") {
    console.log(JSON.stringify({ file: KEYS_FILE, keys: summary(await rotateServiceKeys()) }, null, 2));
  } else if (cmd === "ensure") {
    await ensureServiceKeys();
  } else {
    console.error("usage: npm run keys -- list | rotate");
    process.exit(2);
  }
}
