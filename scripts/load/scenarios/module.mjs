// module: the database module in-process (no HTTP), both paths and bare postgres.js, by
// scripts/load/module-bench.ts in one Deno process.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { poolerUrl, ROOT } from "../../lib/config.mjs";

export const description =
  "the database module in one Deno process, no HTTP: one-round-trip and pipelined paths vs bare postgres.js";

export default async function moduleBench({ c, secrets, duration }) {
  const p = spawn(join(ROOT, "node_modules/.bin/deno"), [
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-sys",
    "--config",
    join(ROOT, "deno.json"),
    join(ROOT, "scripts/load/module-bench.ts"),
  ], {
    env: {
      ...process.env,
      CRYO_DB_URL: poolerUrl(c, secrets),
      BENCH_SECONDS: String(Math.min(duration, 10)),
      BENCH_CONCURRENCY: "4,16",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let text = "";
  p.stdout.on("data", (d) => (text += d));
  const code = await new Promise((r) => p.on("close", r));
  if (code !== 0) throw new Error(`module-bench.ts exited with code ${code}`);
  return {
    note:
      "in one Deno process, no HTTP: the module's ping transaction at c concurrent callers (the module runs at most CRYO_DB_POOL_MAX = 4 at once) vs bare postgres.js select 1 on the same 4 connections",
    ...JSON.parse(text.trim().split("\n").at(-1)),
  };
}
