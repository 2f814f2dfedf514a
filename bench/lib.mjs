// Small helpers for the benchmarks: timing, medians, peak RSS of a child process.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Runs a command; resolves with wall time (ms), exit code and the child's peak RSS (KiB). */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
    let peakKb = 0;
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    // VmHWM is the process's own high-water mark: sampling it late loses nothing.
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // the process has exited
      }
    };
    const timer = setInterval(sample, 10);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearInterval(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && !opts.allowFailure) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out}\n${err}`));
      else resolve({ ms, code, peakKb, out, err });
    });
  });
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export const fmt = (ms) => `${ms.toFixed(0)}ms`;
