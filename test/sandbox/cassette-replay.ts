// Replays the provider's recorded Scaleway traffic against a base URL (the sandbox) and checks that every answer
// has the recorded status code and the recorded JSON field names and value types (fidelity-compare.ts).
//
// Decisions:
// - Order: each cassette's interactions are sent in their recorded order (a cassette is one provider test: create,
//   read, update, delete, read again), cassettes in a fixed order (service, then file name).
// - Ids: the sandbox makes its own ids. A create's answer (POST, 2xx, top-level `id`) teaches recorded id → our id;
//   every later request has the recorded ids replaced by ours, in its path, query and body. Ids the cassette did not
//   create (organization, the account's default project) pass through unchanged unless `foreignIds` maps them;
//   a cassette that reads such a resource by path is skipped (see skipReason).
// - Time: Scaleway's answers depend on time (a resource is `creating`, then `ready`); the recording holds the
//   provider's polling loop. Replay matches by request, not by position: when our answer differs from the recorded
//   one (status code or `status` field) while ours is in a transient state, the same GET is sent again until the
//   state settles (or `pollTimeoutMs`), and the settled answer is the one compared. An answer of ours that is
//   already settled where the recording was still transient is fine: the status is a value, not a type.
// - One emulator for the whole replay: every cassette cleans up after itself (the provider's tests destroy what they
//   create), so state left by one cassette is only more items in another's lists, which compares no differently.
// - A status code that differs is reported alone: the bodies are then of different kinds (an error's, an object's).
// - Answers with no JSON body (204) compare their status code only.
import { compareShape, parseJson, type JsonValue } from "./fidelity-compare.js";
import {
  answerId,
  createdId,
  loadCassettes,
  SERVED_PATHS,
  servedPathsOf,
  skipReason,
  type Cassette,
  type Interaction,
} from "./cassettes.js";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

export interface FidelityMismatch {
  cassette: string;
  interaction: number;
  /** Method and recorded path (query left out). */
  request: string;
  kind: "status" | "state" | "missing" | "type" | "body" | "transport";
  detail: string;
}

export interface FidelityWarning {
  cassette: string;
  interaction: number;
  request: string;
  /** Fields only our answer has. */
  extras: string[];
}

/**
 * A recorded answer that Scaleway gives differently from one recording to another for the same sequence
 * (an eventually consistent read): the replay still sends it, and lists its difference apart, with the reason.
 */
export interface ToleratedDifference {
  /** `<service>/<cassette name>` */
  cassette: string;
  interaction: number;
  reason: string;
}

export interface FidelityReport {
  services: string[];
  cassettesReplayed: number;
  interactions: number;
  /** Extra GETs sent while waiting for a transient state to settle. */
  polls: number;
  fieldsCompared: number;
  mismatches: FidelityMismatch[];
  warnings: FidelityWarning[];
  /** Differences at interactions the options declare tolerated, with the stated reason: not mismatches. */
  tolerated: (FidelityMismatch & { reason: string })[];
  skipped: { cassette: string; reason: string }[];
  /** Interactions sent but not compared (ReplayOptions.uncompared). */
  uncompared: { cassette: string; interaction: number; reason: string }[];
}

export interface ReplayOptions {
  /** The emulator's base URL, e.g. http://127.0.0.1:4567 (no trailing path). */
  baseUrl: string;
  /** Sent as X-Auth-Token. */
  token: string;
  /** Recorded id → sandbox id for resources the recordings did not create (organization, default project). */
  foreignIds?: Record<string, string>;
  /** API paths served, by default those of SERVED_PATHS for the services. */
  servedPaths?: RegExp[];
  /**
   * Cassettes not to replay, by label (`service/name`), each with its reason: a recording of something no
   * faithful emulator answers the same way (a race of the real API), never to hide a mismatch.
   */
  skip?: Record<string, string>;
  pollTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Field names whose values are free-form maps (see compareShape's ShapeOptions). */
  freeFormMaps?: string[];
  /** Interactions whose recorded answer the real API is known to give inconsistently (see ToleratedDifference). */
  tolerated?: ToleratedDifference[];
  /** Per cassette (`service/name`): what the recording did outside the API, redone on the emulator. */
  outOfBand?: Record<string, OutOfBandStep[]>;
  /**
   * Recorded answers that cannot be reproduced (a race inside Scaleway, e.g. a 409 "Tuple concurrently
   * updated"): the request is sent, its answer not compared; each entry states why and is listed in the report.
   */
  uncompared?: { cassette: string; interaction: number; reason: string }[];
}

/**
 * A step a recorded test took outside the API (a `docker push` making an image the later requests
 * read), redone against the emulator just before interaction `before`. It answers recorded id → our
 * id for the resources it made (`madeIds` lists the recorded ones, so the cassette is not skipped
 * as reading resources that existed before the recording).
 */
export interface OutOfBandStep {
  before: number;
  madeIds: string[];
  run: (ctx: { baseUrl: string; token: string; ids: ReadonlyMap<string, string> }) => Promise<Record<string, string>>;
}

export interface FidelityOptions extends ReplayOptions {
  /** Provider service directories whose cassettes to replay: `secret`, `account`... */
  services: string[];
  /** internal/services of the provider module; found in the Go module cache by default. */
  servicesDir?: string;
}

/** States in which Scaleway resources are still moving; an answer in one of them is worth asking again. */
export const TRANSIENT_STATES = new Set([
  "creating",
  "provisioning",
  "pending",
  "deploying",
  "initializing",
  "configuring",
  "updating",
  "deleting",
  "restarting",
  "backuping",
  "restoring",
  "exporting",
  "autohealing",
  "upgrading",
]);

/** Loads the services' cassettes from the provider module and replays them: the function the emulator's test calls. */
export async function replayFidelity(options: FidelityOptions): Promise<FidelityReport> {
  const unknown = options.servedPaths ? [] : options.services.filter((s) => !(s in SERVED_PATHS));
  // Else every cassette of the service would be skipped as "outside the served APIs" and the test pass on nothing.
  if (unknown.length > 0)
    throw new Error(`no served API paths for ${unknown.join(", ")}: add them to SERVED_PATHS in test/sandbox/cassettes.ts`);
  const cassettes = loadCassettes(options.services, options.servicesDir);
  const servedPaths = options.servedPaths ?? servedPathsOf(...options.services);
  const report = await replayCassettes(cassettes, { ...options, servedPaths });
  report.services = [...options.services];
  return report;
}

export async function replayCassettes(cassettes: Cassette[], options: ReplayOptions): Promise<FidelityReport> {
  const servedPaths = options.servedPaths ?? Object.values(SERVED_PATHS).flat();
  const report: FidelityReport = {
    services: [...new Set(cassettes.map((c) => c.service))],
    cassettesReplayed: 0,
    interactions: 0,
    polls: 0,
    fieldsCompared: 0,
    mismatches: [],
    warnings: [],
    tolerated: [],
    skipped: [],
    uncompared: [],
  };
  for (const cassette of cassettes) {
    const label = `${cassette.service}/${cassette.name}`;
    const steps = options.outOfBand?.[label] ?? [];
    const madeOutOfBand = Object.fromEntries(steps.flatMap((step) => step.madeIds.map((id) => [id, id])));
    const reason = options.skip?.[label] ?? skipReason(cassette, servedPaths, { ...options.foreignIds, ...madeOutOfBand });
    if (reason !== undefined) {
      report.skipped.push({ cassette: label, reason });
      continue;
    }
    report.cassettesReplayed++;
    const ids = new Map<string, string>(Object.entries(options.foreignIds ?? {}));
    for (const [n, interaction] of cassette.interactions.entries()) {
      for (const step of steps.filter((st) => st.before === n)) {
        for (const [recorded, ours] of Object.entries(await step.run({ baseUrl: options.baseUrl, token: options.token, ids }))) {
          ids.set(recorded, ours);
        }
      }
      report.interactions++;
      await replayOne(label, n, interaction, ids, options, report);
    }
  }
  return report;
}

interface Answer {
  code: number;
  body: string;
}

async function replayOne(
  label: string,
  n: number,
  interaction: Interaction,
  ids: Map<string, string>,
  options: ReplayOptions,
  report: FidelityReport,
): Promise<void> {
  const { request, response: recorded } = interaction;
  const recordedUrl = new URL(request.url);
  const what = `${request.method} ${recordedUrl.pathname}`;
  const tolerance = options.tolerated?.find((t) => t.cassette === label && t.interaction === n);
  const mismatch = (kind: FidelityMismatch["kind"], detail: string): void => {
    const m: FidelityMismatch = { cassette: label, interaction: n, request: what, kind, detail };
    if (tolerance) report.tolerated.push({ ...m, reason: tolerance.reason });
    else report.mismatches.push(m);
  };
  const url = options.baseUrl.replace(/\/+$/, "") + rewriteIds(recordedUrl.pathname + recordedUrl.search, ids);
  const body = request.body === "" ? undefined : rewriteIds(request.body, ids);

  let ours: Answer;
  try {
    ours = await send(request.method, url, body, options.token);
    const deadline = Date.now() + (options.pollTimeoutMs ?? 30_000);
    while (request.method === "GET" && !settled(recorded, ours) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 100));
      report.polls++;
      ours = await send(request.method, url, body, options.token);
    }
  } catch (err) {
    mismatch("transport", `no answer: ${(err as Error).message}`);
    return;
  }

  const exempt = options.uncompared?.find((u) => u.cassette === label && u.interaction === n);
  if (exempt) {
    report.uncompared.push(exempt);
    learnId(interaction, parseJson(ours.body), ids);
    return;
  }
  if (!settled(recorded, ours))
    mismatch("state", `still ${stateOf(parseJson(ours.body))} after ${options.pollTimeoutMs ?? 30_000} ms of polling`);
  const ourJson = parseJson(ours.body);
  if (ours.code !== recorded.code) {
    // Another status, another kind of body (an error's, an object's): comparing them would only repeat this.
    mismatch("status", `status ${ours.code}, recorded ${recorded.code}: ${ours.body.slice(0, 200)}`);
    learnId(interaction, ourJson, ids);
    return;
  }
  const recordedJson = parseJson(recorded.body);
  if (recordedJson !== undefined) {
    if (ourJson === undefined) {
      mismatch("body", `the recorded answer is JSON, ours is ${ours.body === "" ? "empty" : "not JSON"}`);
    } else {
      // Recorded while still moving (e.g. `provisioning`) and ours already settled: fields that fill in as a
      // resource settles (an endpoint, a size) may hold a value where the recording has null.
      const recordedState = stateOf(recordedJson);
      const ahead = recordedState !== undefined && TRANSIENT_STATES.has(recordedState) && stateOf(ourJson) !== recordedState;
      const shape = compareShape(recordedJson, ourJson, { nullAcceptsValue: ahead, freeFormMaps: options.freeFormMaps });
      report.fieldsCompared += shape.compared;
      for (const m of shape.mismatches) {
        mismatch(
          m.kind,
          m.kind === "missing" ? `${m.path} (${m.expected}) is missing` : `${m.path} is ${m.actual}, recorded ${m.expected}`,
        );
      }
      if (shape.extras.length > 0) report.warnings.push({ cassette: label, interaction: n, request: what, extras: shape.extras });
    }
  } else if (recorded.body.trim() === "" && ours.body.trim() !== "" && ourJson !== undefined) {
    report.warnings.push({ cassette: label, interaction: n, request: what, extras: ["$ (an answer body where the recording has none)"] });
  }
  learnId(interaction, ourJson, ids);
}

/** Our answer can be compared: it agrees with the recording's code and state, or it is not in a transient state. */
function settled(recorded: Answer, ours: Answer): boolean {
  const ourState = stateOf(parseJson(ours.body));
  if (ourState === undefined || !TRANSIENT_STATES.has(ourState)) return true;
  return ours.code === recorded.code && ourState === stateOf(parseJson(recorded.body));
}

function stateOf(body: JsonValue | undefined): string | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  const status = body.status;
  return typeof status === "string" ? status : undefined;
}

/**
 * The recorder redacts IAM access keys in request paths to this placeholder (the answers keep the real ones): it
 * stands for the access key created last, so a create answer with an `access_key` and no `id` maps it to ours.
 */
const REDACTED_ACCESS_KEY = "SCWXXXXXXXXXXXXXXXXX";

function learnAccessKey(interaction: Interaction, ours: JsonValue | undefined, ids: Map<string, string>): void {
  const { request, response } = interaction;
  if (request.method !== "POST" || response.code >= 300) return;
  const recorded = parseJson(response.body);
  const key = (v: JsonValue | undefined) =>
    v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) && v.id === undefined && typeof v.access_key === "string"
      ? v.access_key
      : undefined;
  const recordedKey = key(recorded);
  const ourKey = key(ours);
  if (recordedKey === undefined || ourKey === undefined) return;
  ids.set(recordedKey, ourKey);
  ids.set(REDACTED_ACCESS_KEY, ourKey);
}

function learnId(interaction: Interaction, ours: JsonValue | undefined, ids: Map<string, string>): void {
  learnAccessKey(interaction, ours, ids);
  const recordedId = createdId(interaction);
  if (recordedId === undefined || ids.has(recordedId)) return;
  if (ours === null || ours === undefined || typeof ours !== "object" || Array.isArray(ours)) return;
  const ourId = answerId(ours);
  if (ourId !== undefined) ids.set(recordedId, ourId);
}

/** The text with every recorded id the map knows replaced by ours. */
export function rewriteIds(text: string, ids: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [recorded, ours] of ids) out = out.split(recorded).join(ours);
  return out;
}

async function send(method: string, url: string, body: string | undefined, token: string): Promise<Answer> {
  const headers: Record<string, string> = { "X-Auth-Token": token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  return { code: res.status, body: await res.text() };
}

/** The coverage report the fidelity test prints. */
export function formatReport(report: FidelityReport, maxListed = 40): string {
  const lines = [
    `cassette replay (${report.services.join(", ")}): ${report.cassettesReplayed} cassettes replayed, ${report.interactions} interactions, ` +
      `${report.fieldsCompared} fields compared, ${report.polls} polls, ${report.mismatches.length} mismatches, ` +
      `${report.warnings.length} answers with extra fields, ${report.skipped.length} cassettes skipped` +
      (report.tolerated.length > 0 ? `, ${report.tolerated.length} tolerated differences (listed)` : ""),
  ];
  // One line per kind of mismatch on one kind of request, not per answer: ids and list indexes folded.
  const fold = (text: string): string => text.replace(UUID, "{id}").replace(/\[\d+\]/g, "[]");
  const groups = new Map<string, { first: FidelityMismatch; count: number }>();
  for (const m of report.mismatches) {
    const key = `${fold(m.request)}: ${m.kind}: ${fold(m.detail)}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { first: m, count: 1 });
  }
  for (const [key, { first, count }] of [...groups].slice(0, maxListed)) {
    lines.push(`  MISMATCH ${key} (${count}x, first in ${first.cassette} #${first.interaction})`);
  }
  if (groups.size > maxListed) lines.push(`  ... and ${groups.size - maxListed} more kinds of mismatch`);
  const extras = new Set(report.warnings.flatMap((w) => w.extras.map((e) => `${fold(w.request)} ${fold(e)}`)));
  for (const e of [...extras].slice(0, maxListed)) lines.push(`  extra field (warning): ${e}`);
  for (const t of report.tolerated)
    lines.push(`  tolerated ${t.cassette} #${t.interaction} ${t.request}: ${t.kind}: ${t.detail} (${t.reason})`);
  for (const s of report.skipped) lines.push(`  skipped ${s.cassette}: ${s.reason}`);
  for (const u of report.uncompared) lines.push(`  not compared ${u.cassette} #${u.interaction}: ${u.reason}`);
  return lines.join("\n");
}

/** Throws the printed report when the replay found a mismatch or replayed nothing: the fidelity test's verdict. */
export function assertFaithful(report: FidelityReport): void {
  if (report.cassettesReplayed === 0) throw new Error(`no cassette was replayed\n${formatReport(report)}`);
  if (report.mismatches.length > 0) throw new Error(`the answers differ from Scaleway's recorded ones\n${formatReport(report)}`);
}
