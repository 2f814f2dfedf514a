import { type JsonObject, unknownRoute } from "./errors.js";

/** One parsed request, as a handler sees it. */
export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: JsonObject;
}

/** What a handler answers: a JSON body (200 unless said otherwise) or no content (204). */
export type ApiResponse = { status?: number; body?: unknown };

export type Handler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

/**
 * A tiny router: patterns like `/secret-manager/v1beta1/regions/{region}/secrets/{secret_id}`, where a
 * `{name}` segment matches one path segment. Literal segments win over parameters, so
 * `/secrets/browse` is not taken for a secret id.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    let parts: string[];
    try {
      parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      throw unknownRoute(method, path); // a malformed escape (%zz) names no route
    }
    let best: { handler: Handler; params: Record<string, string>; literals: number } | undefined;
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
      if (ok && (!best || literals > best.literals)) best = { handler: route.handler, params, literals };
    }
    if (!best) throw unknownRoute(method, path);
    return best;
  }
}
