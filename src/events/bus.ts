import type { EvalapEvent, EventSink } from "./types.js";

/** Fans events out to listeners (reporters, recorders). Listener errors never break the run. */
export class EventBus implements EventSink {
  private readonly listeners: Array<(event: EvalapEvent) => void> = [];

  on(listener: (event: EvalapEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(event: EvalapEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken reporter must not abort an apply in progress.
      }
    }
  }
}

/** Collects events in memory: used by tests and by commands that summarise a run. */
export class EventRecorder implements EventSink {
  readonly events: EvalapEvent[] = [];
  emit(event: EvalapEvent): void {
    this.events.push(event);
  }
  ofType<T extends EvalapEvent["type"]>(type: T): Array<Extract<EvalapEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<EvalapEvent, { type: T }> => e.type === type);
  }
}
