import { createServer } from "node:net";

/**
 * A free TCP port on 127.0.0.1 (asked of the kernel, then released for the caller's server to
 * take), or `preferred` when it is free: a restarted process gets its old port back if it can.
 */
export async function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(undefined));
      srv.listen(port, "127.0.0.1", () => {
        const addr = srv.address();
        const got = typeof addr === "object" && addr ? addr.port : undefined;
        srv.close(() => resolve(got));
      });
    });
  if (preferred) {
    const p = await tryListen(preferred);
    if (p !== undefined) return p;
  }
  const p = await tryListen(0);
  if (p === undefined) throw new Error("no free port on 127.0.0.1");
  return p;
}
