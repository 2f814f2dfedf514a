import { alignColumns } from "../report/format.js";
import { formatAge } from "../secrets/table.js";
import type { BackupView } from "./policy.js";

/** A size in bytes as a table shows it: "812 B", "4.2 MiB". */
export function formatSize(bytes: number | null): string {
  if (bytes === null) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u] ?? ""}`;
}

/** The `backup list` table, newest first: name, tier, status, size, age, expiry, id. */
export function backupsTable(backups: readonly BackupView[], now: number): string[] {
  const rows = backups.map((b) => [
    b.name,
    b.tier,
    b.status,
    formatSize(b.size),
    b.created === null ? "-" : formatAge(now - Date.parse(b.created)),
    b.expires === null ? "never" : b.expires.slice(0, 16).replace("T", " "),
    b.id,
  ]);
  return alignColumns([["NAME", "TIER", "STATUS", "SIZE", "AGE", "EXPIRES (UTC)", "ID"], ...rows]);
}
