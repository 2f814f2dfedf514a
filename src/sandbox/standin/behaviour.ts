/**
 * How a stand-in misbehaves, read from its image tag (the part after the last `:`), so that failed
 * releases and rollbacks run for real:
 *   `-crash`       exits with status 3 at start (the container ends in `error`);
 *   `-neverready`  starts but never listens (the container ends in `error` after its startup budget);
 *   `-fail500`     listens, and every application path answers 500 (ready, but unhealthy);
 *   `-slow` / `-slow<N>` answers every application path after N seconds (3 by default).
 * A tag may combine them (`v2-slow5-fail500`); any other tag behaves.
 */
export interface Behaviour {
  crash: boolean;
  neverReady: boolean;
  fail500: boolean;
  slowMs: number;
}

export function behaviourOf(image: string): Behaviour {
  const tag = image.includes(":") ? image.slice(image.lastIndexOf(":") + 1) : "";
  const slow = /-slow(\d+)?(?=-|$)/.exec(tag);
  return {
    crash: /-crash(?=-|$)/.test(tag),
    neverReady: /-neverready(?=-|$)/.test(tag),
    fail500: /-fail500(?=-|$)/.test(tag),
    slowMs: slow ? Number(slow[1] ?? "3") * 1000 : 0,
  };
}

/** DATABASE_URI as the app builds it, with SQLAlchemy's driver suffix mapped to what pg reads. */
export function databaseUri(postgresUrl: string, name: string): string {
  const url = postgresUrl.replace(/\/+$/, "") + "/" + name;
  return url.replace(/^postgres(?:ql)?(?:\+[a-z0-9_]+)?:\/\//, "postgresql://");
}
