import type { EvalapEvent } from "../events/types.js";

export interface Reporter {
  handle(event: EvalapEvent): void;
  /** Stops spinners and flushes; called once at the end of a run. */
  close(): void;
}
