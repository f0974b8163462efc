// The web app (web/, docs/web-app.md) on a port of the stack: built with Vite into .local/<stack>/web (again
// only when its sources or the lockfile changed), given the stack's config.json (project URL, anon key, and the
// demo users' sign-in hint), and served by `vite preview` as a detached process whose output goes to
// .local/<stack>/web.log.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ensureDir, ROOT } from "./config.mjs";
import { log, must, pidAlive, portOpen, readPid, StackError, waitFor } from "./proc.mjs";
import { portUsers } from "./ports.mjs";
import { DEMO_PASSWORD } from "./user-claims.mjs";

const WEB = join(ROOT, "web");
const VITE = join(ROOT, "node_modules/vite/bin/vite.js");
const CONFIG = join(WEB, "vite.config.ts");

/** A hash of everything the build reads: web/ (but its own dist/) and the lockfile. */
function sourceHash() {
  const hash = createHash("sha256");
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "dist" && e.name !== "node_modules") walk(p);
      } else hash.update(relative(ROOT, p)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(WEB);
  hash.update(readFileSync(join(ROOT, "package-lock.json")));
  return hash.digest("hex");
}

/** The runtime config.json of stack `c`: the two values of any deployment, plus the local sign-in hint. */
export function webConfig(c, anonKey) {
  return {
    supabaseUrl: c.apiUrl,
    anonKey,
    signInHint: `Local stack: sign in as a demo user (alice@example.org, carol@example.org, erin@example.org, ` +
      `bob@example.org or dave@example.org) with the password ${DEMO_PASSWORD}.`,
  };
}

/**
 * Builds web/ into c.webDir unless the last build there came from the same sources (a hash in .build-hash);
 * writes config.json for stack `c` when it differs. Returns whether it built. Throws StackError when the build fails.
 */
export function buildWeb(c, anonKey) {
  const stamp = join(c.webDir, ".build-hash");
  const want = sourceHash();
  let built = false;
  if (!existsSync(join(c.webDir, "index.html")) || !existsSync(stamp) || readFileSync(stamp, "utf8") !== want) {
    log(`building the web app into ${relative(ROOT, c.webDir)}`);
    ensureDir(c.webDir);
    must(process.execPath, [VITE, "build", "--config", CONFIG, "--outDir", c.webDir, "--emptyOutDir", "--logLevel", "warn"], {
      cwd: ROOT,
    }, "vite build (web/)");
    writeFileSync(stamp, want);
    built = true;
  }
  const file = join(c.webDir, "config.json");
  const text = JSON.stringify(webConfig(c, anonKey), null, 2) + "\n";
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeFileSync(file, text);
  return built;
}

/** GET /config.json of the served app: { status } (0 when nothing answered within `timeoutMs`). */
export async function webHealthy(c, timeoutMs = 2000) {
  try {
    const r = await fetch(`${c.webUrl}/config.json`, { signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel();
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Builds (when needed) and serves the web app of stack `c` on c.ports.web, unless it is served already (a
 * rebuild is picked up by the running server: it serves c.webDir from disk). Throws StackError when the port
 * is taken or the server does not answer within 30 s (with its log's tail).
 */
export async function startWeb(c, anonKey) {
  buildWeb(c, anonKey);
  const pid = readPid(c.webPid);
  if (pidAlive(pid) && await webHealthy(c)) return;
  stopWeb(c);
  if (await portOpen(c.ports.web)) {
    if (!await waitFor(async () => !(await portOpen(c.ports.web)), 3000)) {
      throw new StackError(
        `port ${c.ports.web} (web app) is taken by another process: ${portUsers(c.ports.web)}\nstop it or set CRYO_PORT_OFFSET`,
      );
    }
  }
  log(`serving the web app on ${c.webUrl}`);
  const out = openSync(c.webLog, "a");
  const args = [VITE, "preview", "--config", CONFIG, "--outDir", c.webDir, "--host", "127.0.0.1"];
  const child = spawn(process.execPath, [...args, "--port", String(c.ports.web), "--strictPort"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", out, out],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  child.unref();
  writeFileSync(c.webPid, String(child.pid));
  await waitFor(async () => exited !== null || await webHealthy(c), 30000, 200);
  if (exited || !await webHealthy(c)) {
    const tail = existsSync(c.webLog) ? readFileSync(c.webLog, "utf8").split("\n").slice(-10).join("\n") : "";
    throw new StackError(`the web app is not served at ${c.webUrl}:\n--- ${c.webLog} ---\n${tail}`);
  }
}

/** Stops the web app's server (its process group) and forgets its pid. */
export function stopWeb(c) {
  const pid = readPid(c.webPid);
  if (pidAlive(pid)) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      process.kill(pid, "SIGTERM");
    }
  }
  rmSync(c.webPid, { force: true });
}
