/** Reading a health answer's body (bounded) and checking it against the service's expectation. */
import type { BodyExpectation } from "./types.js";

/** Bodies are read up to this size (so keep-alive sockets are reused, and checked); past it, cancelled. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface BodyRead {
  bytes: number;
  /** The text read (up to the cap), only when it was asked for. */
  text?: string;
  /** The body was longer than the cap and was cut off. */
  truncated: boolean;
}

/**
 * Reads the body to its end (up to the cap) so undici can reuse the socket; an unread body holds
 * the connection until garbage collection. Keeps the text only when a check needs it. The
 * request's signal bounds this read too.
 */
export async function readBody(body: ReadableStream<Uint8Array> | null, keep: boolean): Promise<BodyRead> {
  if (body === null) return { bytes: 0, truncated: false, ...(keep ? { text: "" } : {}) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > MAX_BODY_BYTES) {
        truncated = true;
        if (keep) chunks.push(value.subarray(0, value.byteLength - (bytes - MAX_BODY_BYTES)));
        bytes = MAX_BODY_BYTES;
        await reader.cancel();
        break;
      }
      if (keep) chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (!keep) return { bytes, truncated };
  return { bytes, truncated, text: new TextDecoder().decode(Buffer.concat(chunks)) };
}

export function needsBody(expect: BodyExpectation | undefined): boolean {
  return expect !== undefined && (expect.json === true || (expect.contains !== undefined && expect.contains !== ""));
}

/**
 * What is wrong with a body, or undefined when it is as expected, e.g. "a body that is not JSON
 * (text/html, 1532 bytes)". The body itself is never quoted: an error page may carry anything.
 */
export function bodyProblem(expect: BodyExpectation | undefined, read: BodyRead, contentType: string | null): string | undefined {
  if (!needsBody(expect) || expect === undefined) return undefined;
  const text = read.text ?? "";
  const type = contentType?.split(";")[0]?.trim() || "no content-type";
  const what = `${type}, ${read.truncated ? "over 1 MiB" : `${read.bytes} bytes`}`;
  if (expect.json === true) {
    if (read.truncated) return `a body too large to check as JSON (${what})`;
    try {
      JSON.parse(text);
    } catch {
      return read.bytes === 0 ? "an empty body, not JSON" : `a body that is not JSON (${what})`;
    }
  }
  if (expect.contains !== undefined && expect.contains !== "" && !text.includes(expect.contains)) {
    return `a body without ${JSON.stringify(expect.contains)}${read.truncated ? " in its first MiB" : ""} (${what})`;
  }
  return undefined;
}
