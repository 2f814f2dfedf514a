export * from "./types.js";
export { EventBus, EventRecorder } from "./bus.js";
