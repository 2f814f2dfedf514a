import { EvalapError } from "../core/errors.js";
import type { ServiceEndpoint } from "./types.js";

const HINT =
  'the root module must output `services` = map(object({ url = string, health_path = string, id = string })), as infra/README.md documents (e.g. { evalap = { url = "https://…", health_path = "/openapi.json", id = "fr-par/…" } })';

function invalid(message: string): EvalapError {
  return new EvalapError("services_output_invalid", message, { hint: HINT });
}

/** A short description of a bad value for an error message (URLs are not secret; long values are cut). */
function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads the root's `services` output (name -> { url, health_path, id }) into endpoints.
 * It is the contract between infra/ and the health gate, so a bad shape fails loudly here
 * rather than as a confusing health failure later.
 */
export function servicesFromOutputs(outputs: Record<string, { sensitive: boolean; value?: unknown }>): ServiceEndpoint[] {
  const output = outputs["services"];
  if (output === undefined) throw invalid('the root has no output "services"');
  // Health URLs are logged and reported; a secret one would be a design mistake, not something to hide.
  if (output.sensitive) throw invalid('output "services" is sensitive; health URLs must not be secret (remove `sensitive = true`)');
  const map = output.value;
  if (!isRecord(map)) throw invalid(`output "services" must be a map of objects, got ${show(map)}`);

  const services: ServiceEndpoint[] = [];
  for (const [name, entry] of Object.entries(map)) {
    const at = `output "services".${name}`;
    if (!isRecord(entry)) throw invalid(`${at} must be an object { url, health_path, id }, got ${show(entry)}`);

    const rawUrl = entry["url"];
    if (typeof rawUrl !== "string" || rawUrl === "") throw invalid(`${at}.url must be a non-empty string, got ${show(rawUrl)}`);
    let parsed: URL;
    try {
      parsed = new URL(rawUrl);
    } catch {
      throw invalid(`${at}.url must be an absolute http(s) URL, got ${show(rawUrl)}`);
    }
    // Credentials in the URL would be echoed in every event and report: refuse without echoing them.
    if (parsed.username !== "" || parsed.password !== "") throw invalid(`${at}.url must not contain credentials`);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw invalid(`${at}.url must be an http(s) URL, got ${show(rawUrl)}`);
    // The health path is appended to the URL, which only works on a bare base URL.
    if (parsed.search !== "" || parsed.hash !== "") throw invalid(`${at}.url must not have a query or fragment, got ${show(rawUrl)}`);

    const healthPath = entry["health_path"];
    if (typeof healthPath !== "string" || !healthPath.startsWith("/")) {
      throw invalid(`${at}.health_path must be a string starting with "/", got ${show(healthPath)}`);
    }

    const id = entry["id"];
    if (id !== undefined && id !== null && typeof id !== "string") throw invalid(`${at}.id must be a string, got ${show(id)}`);

    services.push({ name, url: rawUrl, healthPath, ...(typeof id === "string" && id !== "" ? { id } : {}) });
  }
  return services;
}
