// The stack's TCP ports: keeping them out of the kernel's ephemeral range, and naming who holds one.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isRoot, log, run } from "./proc.mjs";

const RESERVED_PORTS = "/proc/sys/net/ipv4/ip_local_reserved_ports";

/**
 * The stack's ports (5432x, 5442x plus CRYO_PORT_OFFSET) lie inside Linux's ephemeral range (32768-60999), from
 * which the kernel picks the source port of every outgoing connection. When an open connection happens to use
 * one of them, binding that port fails (EADDRINUSE) although nothing listens there: a restarted functions
 * server, pooler or Postgres then cannot come back (this made "a crashed Postgres ... is recovered by start"
 * fail now and then, with the old server's breaker lines at the end of its log). As root, the ports are taken
 * out of the ephemeral range (ip_local_reserved_ports, of this network namespace: explicit binds still work,
 * only the automatic source-port choice skips them); without root a clash stays possible, and startFunctions
 * reports it at once, naming the port and the socket holding it.
 */
export function reserveStackPorts(c) {
  if (!isRoot() || !existsSync(RESERVED_PORTS)) return;
  try {
    const current = readFileSync(RESERVED_PORTS, "utf8").trim();
    const listed = current ? current.split(",") : [];
    const covered = (port) =>
      listed.some((r) => {
        const [a, b = a] = r.split("-").map(Number);
        return port >= a && port <= b;
      });
    const missing = Object.values(c.ports).filter((p) => !covered(p)).map(String);
    if (missing.length) writeFileSync(RESERVED_PORTS, [...listed, ...missing].join(","));
  } catch (e) {
    log(`note: could not reserve ports ${Object.values(c.ports).join(", ")} from the ephemeral range (${e.message})`);
  }
}

/** Which sockets hold a local port (ss), for error messages. */
export function portUsers(port) {
  const r = run("ss", ["-Htanp", `sport = :${port}`]);
  const lines = (r.stdout || "").trim();
  return lines ? `\n${lines}` : "(no socket now)";
}
