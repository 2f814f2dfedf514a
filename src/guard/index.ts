export { checkPlan, GuardRefusedError, type GuardDecision, type GuardInput } from "./guard.js";
