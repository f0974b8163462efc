// Structured JSON logs, one object a line (the edge runtime ships stdout lines as log events). The platform
// caps log volume (100 events / 10 s per function), so repeated events of one kind are throttled: at most one
// line per key and interval, with a count of what was suppressed.
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

let threshold: number = LEVELS.info;

export function setLogLevel(level: Level) {
  threshold = LEVELS[level];
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}) {
  if (LEVELS[level] < threshold) return;
  const line = JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields });
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}

const last = new Map<string, { at: number; suppressed: number }>();

/** Logs at most once per `key` every `everyMs`; the next line carries how many were suppressed. */
export function logThrottled(
  key: string,
  everyMs: number,
  level: Level,
  msg: string,
  fields: Record<string, unknown> = {},
) {
  const now = Date.now();
  const s = last.get(key);
  if (s && now - s.at < everyMs) {
    s.suppressed++;
    return;
  }
  log(level, msg, s?.suppressed ? { ...fields, suppressed: s.suppressed } : fields);
  last.set(key, { at: now, suppressed: 0 });
}
