export type { Reporter } from "./reporter.js";
export { Redactor, REDACTED } from "./redact.js";
export { JsonReporter } from "./json.js";
export { HumanReporter, plainColors, type TtyDeps, type Colors, type Spinner, type Timing } from "./tty.js";
export { alignColumns, formatDuration, formatElapsed, formatHolder, formatPlanCounts } from "./format.js";
