export { deployLocked, type DeployOptions, type DeployResult } from "./deploy.js";
export { deployRelease, type DeployReleaseOptions, type DeployReleaseResult } from "./deploy-release.js";
export { rollback, type RollbackOptions, type RollbackResult } from "./rollback.js";
export { runReleaseFlow, auditOfRelease, type ReleaseFlowResult, type ReleaseOutcome, type RollbackRun } from "./release-flow.js";
export { initStep, planStep, type PlanInputs } from "./plan.js";
export { validateAll, type ValidateReport } from "./validate.js";
export { doctor, compareVersions, type DoctorCheck } from "./doctor.js";
export { step, retryPolicy, classifyTofuError, stateDir, type RunContext } from "./context.js";
