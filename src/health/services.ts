import { z } from "zod";
import { EvalapError } from "../core/errors.js";
import type { ServiceEndpoint } from "./types.js";

const HINT =
  'the root module must output `services` = map(object({ url = string, health_path = string, id = string })), as infra/README.md documents (e.g. { evalap = { url = "https://…", health_path = "/openapi.json", id = "fr-par/…" } }); ' +
  'a service may add `expect = { json = true, contains = "…" }` to say what a good answer\'s body looks like';

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

/** Marks an issue whose message must not be followed by the bad value (it may hold a secret). */
const NO_ECHO = { echo: false };

const url = z.string({ error: "must be a non-empty string" }).superRefine((raw, ctx) => {
  const fail = (message: string, params?: typeof NO_ECHO) =>
    ctx.addIssue({ code: "custom", message, input: raw, ...(params ? { params } : {}) });
  if (raw === "") return fail("must be a non-empty string");
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return fail("must be an absolute http(s) URL");
  }
  // Credentials in the URL would be echoed in every event and report: refuse without echoing them.
  if (parsed.username !== "" || parsed.password !== "") return fail("must not contain credentials", NO_ECHO);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return fail("must be an http(s) URL");
  // The health path is appended to the URL, which only works on a bare base URL.
  if (parsed.search !== "" || parsed.hash !== "") return fail("must not have a query or fragment");
});

const STARTS_WITH_SLASH = 'must be a string starting with "/"';

/** tofu outputs an unset optional attribute as null: null means "no such check". */
const expectSchema = z.strictObject(
  {
    json: z.boolean({ error: "must be true or false" }).nullish(),
    contains: z.string({ error: "must be a non-empty string" }).min(1, { error: "must be a non-empty string" }).nullish(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `has an unknown key ${show(issue.keys[0])} (known: json, contains)`
        : "must be an object { json, contains }",
  },
);

const entrySchema = z.object(
  {
    url,
    health_path: z.string({ error: STARTS_WITH_SLASH }).startsWith("/", { error: STARTS_WITH_SLASH }),
    id: z.string({ error: "must be a string" }).nullish(),
    expect: expectSchema.nullish(),
  },
  { error: "must be an object { url, health_path, id }" },
);

const servicesSchema = z.record(z.string(), entrySchema, { error: "must be a map of objects" });

/** The first problem as one sentence: `output "services".api.url must …, got "…"`. */
function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'output "services" is invalid';
  const at = ['output "services"', ...issue.path.map(String)].join(".");
  const echo = !(issue.code === "custom" && issue.params?.["echo"] === false) && issue.code !== "unrecognized_keys";
  return `${at} ${issue.message}${echo ? `, got ${show(issue.input)}` : ""}`;
}

/**
 * Reads the root's `services` output (name -> { url, health_path, id, expect? }) into endpoints.
 * It is the contract between infra/ and the health gate, so a bad shape fails loudly here
 * rather than as a confusing health failure later.
 */
export function servicesFromOutputs(outputs: Record<string, { sensitive: boolean; value?: unknown }>): ServiceEndpoint[] {
  const output = outputs["services"];
  if (output === undefined) throw invalid('the root has no output "services"');
  // Health URLs are logged and reported; a secret one would be a design mistake, not something to hide.
  if (output.sensitive) throw invalid('output "services" is sensitive; health URLs must not be secret (remove `sensitive = true`)');
  const parsed = servicesSchema.safeParse(output.value, { reportInput: true });
  if (!parsed.success) throw invalid(describe(parsed.error));

  return Object.entries(parsed.data).map(([name, entry]) => {
    const expect = {
      ...(entry.expect?.json === true ? { json: true } : {}),
      ...(typeof entry.expect?.contains === "string" ? { contains: entry.expect.contains } : {}),
    };
    return {
      name,
      url: entry.url,
      healthPath: entry.health_path,
      ...(typeof entry.id === "string" && entry.id !== "" ? { id: entry.id } : {}),
      ...(Object.keys(expect).length > 0 ? { expect } : {}),
    };
  });
}
