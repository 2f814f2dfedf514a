import type { PlanSummary } from "../tofu/plan-summary.js";
import type { LockHolder } from "../lock/holder.js";

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}

/** Whole seconds for a running step: "42s", "1m30s", "1h05m". */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total < 60) return `${total}s`;
  const m = Math.floor(total / 60);
  if (m < 60) return `${m}m${String(total % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function formatHolder(holder: LockHolder | null): string {
  if (holder === null) return "an unknown holder";
  const since = new Date(holder.startedAt);
  const age = Number.isNaN(since.getTime()) ? "" : `, for ${formatDuration(Date.now() - since.getTime())}`;
  return `${holder.user}@${holder.host} (pid ${holder.pid}, "${holder.command}", since ${holder.startedAt}${age})`;
}

export function formatPlanCounts(summary: PlanSummary): string {
  const c = summary.counts;
  if (!summary.hasChanges) return "no changes";
  return `${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete`;
}

/** A table as lines: each column padded to its widest cell, two spaces between columns, no trailing blanks. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}
