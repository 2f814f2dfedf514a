import { ExitCode } from "../../core/exit-codes.js";
import { environmentStatus, unknownSections, type ReleaseView, type Section, type StatusReport } from "../../operations/status.js";
import { alignColumns, formatHolder } from "../../report/format.js";
import { formatAge, formatMaxAge } from "../../secrets/table.js";
import { runCommand, type GlobalOptions } from "../run.js";

/** Read-only and lock-free; exit 0 when every section was read, 1 (with the sections named) when some could not be. */
export function statusCommand(environment: string, globals: GlobalOptions): Promise<number> {
  return runCommand("status", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const report = await environmentStatus(ctx, environment);
    cmd.events.emit({ type: "data", kind: "status", data: report });
    for (const line of statusLines(report)) cmd.events.emit({ type: "log", level: "info", message: line });
    const unknown = unknownSections(report);
    if (unknown.length > 0) {
      return {
        summary: `status of ${environment}: ${unknown.length} section(s) could not be read (${unknown.join(", ")}): see each one's reason above`,
        exitCode: ExitCode.Failure,
      };
    }
    return { summary: `status of ${environment}: ${headline(report)}` };
  });
}

function headline(r: StatusReport): string {
  const parts: string[] = [];
  if (r.release.state === "ok")
    parts.push(r.release.latest ? `release ${r.release.latest.id} ${r.release.latest.status}` : "no release yet");
  if (r.services.state === "ok") {
    const healthy = r.services.services.filter((s) => s.healthy).length;
    parts.push(`${healthy} of ${r.services.services.length} service(s) healthy`);
  }
  return parts.join(", ");
}

const label = (name: string) => `${name}:`.padEnd(10);

/** The screen, section by section; an unreadable one is `unknown: <why>`. */
export function statusLines(r: StatusReport): string[] {
  const now = Date.parse(r.at);
  const lines: string[] = [];
  const section = <T>(name: string, s: Section<T>, body: (v: T) => string[]) => {
    if (s.state === "unknown") {
      lines.push(`${label(name)}unknown: ${s.reason}`);
      return;
    }
    const [first = "", ...rest] = body(s);
    lines.push(`${label(name)}${first}`, ...rest.map((l) => `${" ".repeat(10)}${l}`));
  };
  section("release", r.release, (v) => {
    if (v.latest === null) return ["none yet"];
    const out = [describeRelease(v.latest, now)];
    if (v.lastHealthy && v.lastHealthy.id !== v.latest.id) out.push(`last healthy: ${describeRelease(v.lastHealthy, now)}`);
    return out;
  });
  section("services", r.services, (v) => {
    if (v.services.length === 0) return ["none in the root's services output"];
    return alignColumns(
      v.services.map((s) => [
        s.name,
        s.healthy ? "healthy" : "unhealthy",
        s.httpStatus === null ? "-" : `HTTP ${s.httpStatus}`,
        `${s.latencyMs}ms`,
        s.url,
        s.problem ?? "",
      ]),
    );
  });
  section("lock", r.lock, (v) => {
    const remote = v.remote === null ? "free" : v.remote.state === "malformed" ? "an unreadable lock object (counts as held)" : "";
    const lease =
      v.remote && v.remote.holder
        ? `${v.remote.state === "held" ? "held" : "expired, was held"} by ${formatHolder(v.remote.holder)}${v.remote.until ? `, lease until about ${v.remote.until}` : ""}`
        : remote;
    return [`remote lease ${lease}; local lock ${v.local ? `held by ${formatHolder(v.local)}` : "free"}`];
  });
  section("pending", r.pending, (v) =>
    v.releases.length === 0
      ? ["none"]
      : v.releases.map(
          (p) =>
            `${p.id} (${p.kind} by ${p.actor}@${p.host}, ${p.createdAt})${p.abandoned ? `: abandoned: \`evalap-infra deploy ${r.environment} --resume\` or \`evalap-infra rollback ${r.environment}\`` : ": its run is going on"}`,
        ),
  );
  section("rotation", r.rotation, (v) =>
    v.unfinished === null
      ? ["none unfinished"]
      : [
          `${v.unfinished.id} stopped at ${v.unfinished.step} (${v.unfinished.secrets.join(", ")}, by ${v.unfinished.actor}@${v.unfinished.host}, updated ${v.unfinished.updatedAt}): \`evalap-infra secrets rotate ${r.environment} --resume\` or \`--undo\``,
        ],
  );
  section("backups", r.backups, (v) =>
    alignColumns(
      v.tiers.map((t) =>
        t.newest === null ? [t.tier, "none"] : [t.tier, t.newest.name, t.newest.status, `${formatAge(t.newest.ageMs)} old`, t.newest.id],
      ),
    ),
  );
  section("secrets", r.secrets, (v) => {
    if (v.secrets.length === 0) return ["none"];
    return alignColumns(
      v.secrets.map((s) => [
        s.name,
        s.missing ? "missing" : s.latestEnabled === null ? "no enabled version" : `rev ${s.latestEnabled}`,
        `${formatAge(s.ageMs)} old`,
        `max ${formatMaxAge(s.maxAgeMs)}`,
        s.due ? "due" : "",
        s.current === false ? "containers run an older revision" : "",
      ]),
    );
  });
  return lines;
}

function describeRelease(v: ReleaseView, now: number): string {
  const when = v.finishedAt ?? v.createdAt;
  const age = Number.isNaN(Date.parse(when)) ? "" : `, ${formatAge(now - Date.parse(when))} ago`;
  const images = Object.entries(v.images)
    .map(([k, ref]) => `${k}=${ref}`)
    .join(" ");
  return `${v.id} ${v.kind} ${v.status} by ${v.actor}@${v.host} at ${when}${age}${images ? `; ${images}` : ""}${v.statusReason ? ` (${v.statusReason})` : ""}`;
}
