import type { SandboxContext } from "../../context.js";
import type { Router } from "../../router.js";
import { backupRoutes } from "./backups.js";
import { dataRoutes } from "./data.js";
import { instanceRoutes } from "./instances.js";

export { resumeRdb } from "./clusters.js";

/**
 * RDB v1 (`/rdb/v1/regions/{region}/...`): instances with a real PostgreSQL server behind each,
 * their users, databases, privileges, ACLs, settings, endpoints, and database backups (real dumps).
 */
export function rdbRoutes(router: Router, ctx: SandboxContext): void {
  instanceRoutes(router, ctx);
  dataRoutes(router, ctx);
  backupRoutes(router, ctx);
}
