// Shared by the benchmark and load scripts, so that every report computes its percentiles the same way.

/** Nearest-rank percentile of an ascending array (null when empty). */
export function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
