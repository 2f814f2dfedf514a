import { readdir, readFile, readlink } from "node:fs/promises";

/**
 * Who listens on a TCP port of this machine, read from Linux's /proc (the sandbox's platform).
 * A revision's internal port is chosen free (ports.ts), then taken by the program it starts: in
 * between, another program of the machine may take it (a test suite runs many sandboxes at once).
 * Then an HTTP answer on that port is not the container's, and its own program cannot listen.
 */
export type PortHolder = "it" | "another" | "nobody" | "unknown";

/** The inodes of the sockets in LISTEN state on `port` (any address), or undefined without /proc. */
async function listeningInodes(port: number): Promise<Set<string> | undefined> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  let readable = false;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      continue;
    }
    readable = true;
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const [local, state, inode] = [f[1], f[3], f[9]];
      if (local === undefined || inode === undefined || state !== "0A") continue;
      if (local.slice(local.lastIndexOf(":") + 1) === hex) inodes.add(inode);
    }
  }
  return readable ? inodes : undefined;
}

/** Whether process `pid` (if any) holds the socket listening on `port`, another process does, or nobody. */
export async function portHolder(port: number, pid?: number): Promise<PortHolder> {
  const inodes = await listeningInodes(port);
  if (inodes === undefined) return "unknown";
  if (inodes.size === 0) return "nobody";
  if (pid === undefined) return "another";
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return "another"; // the process is gone: whoever listens is someone else
  }
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined && inodes.has(inode)) return "it";
  }
  return "another";
}
