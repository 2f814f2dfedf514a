import { type JsonObject, unknownRoute } from "./errors.js";

/** One parsed request, as a handler sees it. */
export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: JsonObject;
  /** The body as sent, for routes registered with `rawBody` (their `body` is empty: the text is not JSON). */
  text?: string;
}

/** What a handler answers: a JSON body (200 unless said otherwise), no content (204), or a text of another type (`raw`). */
export type ApiResponse = { status?: number; body?: unknown; raw?: { contentType: string; text: string } };

export type Handler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  rawBody: boolean;
}

export interface RouteOptions {
  /** The body is not JSON (Mimir's ruler takes YAML): the handler reads `text`. */
  rawBody?: boolean;
}

/**
 * A tiny router: patterns like `/secret-manager/v1beta1/regions/{region}/secrets/{secret_id}`, where a
 * `{name}` segment matches one path segment. Literal segments win over parameters, so
 * `/secrets/browse` is not taken for a secret id.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: RouteOptions = {}): this {
    this.routes.push({ method, segments: pattern.split("/").filter(Boolean), handler, rawBody: opts.rawBody === true });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string>; rawBody: boolean } {
    let parts: string[];
    try {
      parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      throw unknownRoute(method, path); // a malformed escape (%zz) names no route
    }
    let best: { handler: Handler; params: Record<string, string>; rawBody: boolean; literals: number } | undefined;
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      const ok = route.segments.every((seg, i) => {
        const part = parts[i] ?? "";
        if (seg.startsWith("{") && seg.endsWith("}")) {
          params[seg.slice(1, -1)] = part;
          return part !== "";
        }
        literals++;
        return seg === part;
      });
      if (ok && (!best || literals > best.literals)) best = { handler: route.handler, params, rawBody: route.rawBody, literals };
    }
    if (!best) throw unknownRoute(method, path);
    return best;
  }
}
