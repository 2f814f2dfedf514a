export { startSandbox, type Sandbox, type SandboxOptions, type RequestLogEntry } from "./server.js";
