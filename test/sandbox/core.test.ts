import { describe, expect, it } from "vitest";
import { statusAfter, timestamp } from "../../src/sandbox/clock.js";
import { ScwError, transientState, tooManyRequests } from "../../src/sandbox/errors.js";
import { findById, findInRegion } from "../../src/sandbox/lookup.js";
import { ordersBy, sameAsQuery } from "../../src/sandbox/pagination.js";
import { Router } from "../../src/sandbox/router.js";

/** The sandbox's pure pieces: routing, timestamps, status transitions, error shapes. */
describe("Router", () => {
  const router = new Router()
    .add("GET", "/r/{region}/secrets/{id}", () => ({ body: "by id" }))
    .add("GET", "/r/{region}/secrets/browse", () => ({ body: "browse" }));

  it("binds path parameters, decoded", () => {
    const m = router.match("GET", "/r/fr-par/secrets/a%2Fb");
    expect(m.params).toEqual({ region: "fr-par", id: "a/b" });
  });

  it("prefers a literal segment over a parameter, whatever the order of declaration", async () => {
    const m = router.match("GET", "/r/fr-par/secrets/browse");
    expect(await m.handler({ method: "GET", path: "", params: m.params, query: new URLSearchParams(), body: {} })).toEqual({
      body: "browse",
    });
  });

  it("throws a not_found ScwError for an unknown method or path", () => {
    for (const [method, path] of [
      ["POST", "/r/fr-par/secrets/x"],
      ["GET", "/r/fr-par/secrets"],
      ["GET", "/r//secrets/x"],
    ] as const) {
      let caught: unknown;
      try {
        router.match(method, path);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ScwError);
      expect((caught as ScwError).status).toBe(404);
      expect((caught as ScwError).body.type).toBe("not_found");
    }
  });
});

describe("timestamps and status transitions", () => {
  it("formats RFC 3339 with microseconds, as the recorded answers", () => {
    expect(timestamp(Date.UTC(2026, 6, 3, 15, 27, 59) + 863.92)).toBe("2026-07-03T15:27:59.863920Z");
    expect(timestamp(Date.UTC(2026, 0, 1))).toBe("2026-01-01T00:00:00.000000Z");
  });

  it("derives provisioning -> ready from the creation time, so a restart does not reset it", () => {
    const created = timestamp(Date.UTC(2026, 0, 1));
    const t0 = Date.UTC(2026, 0, 1);
    expect(statusAfter(created, 500, "provisioning", "ready", t0 + 499)).toBe("provisioning");
    expect(statusAfter(created, 500, "provisioning", "ready", t0 + 500)).toBe("ready");
    expect(statusAfter(created, 0, "provisioning", "ready", t0)).toBe("ready");
  });
});

describe("error bodies", () => {
  it("shapes transient_state and 429 as Scaleway does", () => {
    const busy = transientState("instance", "id-1", "provisioning");
    expect([busy.status, busy.body]).toEqual([
      409,
      {
        current_state: "provisioning",
        message: "resource is in a transient state",
        resource: "instance",
        resource_id: "id-1",
        type: "transient_state",
      },
    ]);
    const slow = tooManyRequests(7);
    expect([slow.status, slow.headers]).toEqual([429, { "Retry-After": "7" }]);
  });
});

describe("ordersBy", () => {
  it("makes each field's _asc and _desc orders, in the fields' order", () => {
    const orders = ordersBy<{ name: string; at: string }>({ created_at: (x) => x.at, name: (x) => x.name });
    expect(Object.keys(orders)).toEqual(["created_at_asc", "created_at_desc", "name_asc", "name_desc"]);
    const items = [
      { name: "b", at: "2" },
      { name: "a", at: "3" },
      { name: "c", at: "1" },
    ];
    expect([...items].sort(orders.name_asc).map((x) => x.name)).toEqual(["a", "b", "c"]);
    expect([...items].sort(orders.name_desc).map((x) => x.name)).toEqual(["c", "b", "a"]);
    expect([...items].sort(orders.created_at_asc).map((x) => x.at)).toEqual(["1", "2", "3"]);
    expect([...items].sort(orders.created_at_desc).map((x) => x.at)).toEqual(["3", "2", "1"]);
  });
});

describe("findById and findInRegion", () => {
  const ID = "0b7e2c1d-3a4f-4e6b-8c9d-0e1f2a3b4c5d";
  const items = new Map([[ID, { id: ID, region: "fr-par", gone: false }]]);
  const get = (id: string) => items.get(id);
  const missing = () => new ScwError(404, { message: "missing", type: "not_found" });
  const status = (f: () => unknown): number | undefined => {
    try {
      f();
      return undefined;
    } catch (e) {
      return e instanceof ScwError ? e.status : -1;
    }
  };

  it("answers the item, else the missing error for an id that is no UUID, unknown, or not visible", () => {
    expect(findById(get, ID, missing)).toEqual({ id: ID, region: "fr-par", gone: false });
    expect(status(() => findById(get, "not-a-uuid", missing))).toBe(404);
    expect(status(() => findById(get, undefined, missing))).toBe(404);
    expect(status(() => findById(get, "1b7e2c1d-3a4f-4e6b-8c9d-0e1f2a3b4c5d", missing))).toBe(404);
    expect(status(() => findById(get, ID, missing, (x) => x.gone))).toBe(404);
  });

  it("checks the region first, then that the item is in it", () => {
    expect(findInRegion(get, "fr-par", ID, missing).id).toBe(ID);
    expect(status(() => findInRegion(get, "nl-ams", ID, missing))).toBe(404);
    expect(status(() => findInRegion(get, "xx-nope", "not-a-uuid", missing))).toBe(400);
  });
});

describe("sameAsQuery", () => {
  it("keeps the items equal to every field the query gives, and ignores the fields it leaves out", () => {
    const items = [
      { project_id: "p1", name: "a" },
      { project_id: "p1", name: "b" },
      { project_id: "p2", name: "a" },
    ];
    const pass = (query: string) => items.filter(sameAsQuery(new URLSearchParams(query), "project_id", "name"));
    expect(pass("")).toEqual(items);
    expect(pass("project_id=p1")).toEqual(items.slice(0, 2));
    expect(pass("project_id=p1&name=a")).toEqual([items[0]]);
    expect(pass("name=a&other=x")).toEqual([items[0], items[2]]);
    expect(pass("project_id=p3")).toEqual([]);
  });
});
