import { UsageError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { deployRelease } from "../../operations/deploy-release.js";
import { parseImages, parseLockTimeout, parseVars } from "../flags.js";
import { assertHealthy } from "../release-outcome.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface DeployFlags {
  yes?: boolean;
  allowDestroy: string[];
  lockTimeout?: string;
  var: string[];
  image: string[];
  /** false with --no-rollback */
  rollback: boolean;
  resume?: boolean;
  /** --images-from <env>: every image of the release that environment runs healthy now. */
  imagesFrom?: string;
}

export function deployCommand(environment: string, flags: DeployFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("deploy", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const vars = parseVars(flags.var);
    const images = parseImages(flags.image);
    if (flags.imagesFrom !== undefined && (flags.image.length > 0 || flags.resume === true)) {
      throw new UsageError(
        `--images-from ${flags.imagesFrom} promotes exactly what ${flags.imagesFrom} runs: it cannot be combined with ${flags.resume === true ? "--resume" : "--image"}`,
        `drop ${flags.resume === true ? "--resume" : "--image"}, or deploy ${flags.imagesFrom} with that image first`,
      );
    }
    const ctx = await cmd.loadContext();
    if (flags.imagesFrom !== undefined) {
      const { imagesFromEnvironment } = await import("../../operations/promote.js");
      Object.assign(images, (await imagesFromEnvironment(ctx, environment, flags.imagesFrom)).images);
    }
    const ended = await deployRelease(ctx, {
      environment,
      yes: flags.yes === true,
      allowDestroy: flags.allowDestroy,
      vars,
      images,
      autoRollback: flags.rollback !== false && ctx.config.rollback.automatic,
      resume: flags.resume === true,
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    });
    // Unhealthy (rolled back or not): exit 7 or 8 with the use case's message and hint.
    const result = assertHealthy(ended);
    cmd.events.emit({
      type: "data",
      kind: "deploy",
      data: {
        environment,
        changed: result.deploy.changed,
        counts: result.deploy.summary.counts,
        release: result.release ? { id: result.release.id, status: result.release.status } : null,
        health: result.health
          ? {
              healthy: result.health.healthy,
              services: result.health.services.map((s) => ({ name: s.name, healthy: s.healthy, attempts: s.attempts })),
            }
          : null,
        alerts: ended.alerts ?? null,
      },
    });
    // Healthy, but the alert rules are not where they should be: not a failed deploy (nothing to roll back), yet not silent either.
    if (ended.alerts?.status === "failed") {
      return { summary: `${result.summary} (retry: evalap-infra alerts sync ${environment})`, exitCode: ExitCode.AlertsNotSynced };
    }
    return { summary: result.summary };
  });
}
