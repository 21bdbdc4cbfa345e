/** Progress of a long operation, reported as it goes; renderers (bar, JSON lines) live at the edges. */
export interface Progress {
  phase: string;
  doneBytes: number;
  totalBytes: number;
  /** Bytes per second over the operation so far. */
  rate: number;
  /** Seconds left at the current rate, when it can be estimated. */
  etaSeconds?: number;
}

export type ProgressListener = (p: Progress) => void;

/** Throttles reports to one per interval, always reporting the first and the final one. */
export class ProgressMeter {
  readonly #listener: ProgressListener | undefined;
  readonly #phase: string;
  readonly #start = Date.now();
  readonly #intervalMs: number;
  #last = 0;
  totalBytes: number;
  doneBytes = 0;

  constructor(phase: string, totalBytes: number, listener?: ProgressListener, intervalMs = 250) {
    this.#phase = phase;
    this.totalBytes = totalBytes;
    this.#listener = listener;
    this.#intervalMs = intervalMs;
  }

  add(bytes: number): void {
    this.doneBytes += bytes;
    const now = Date.now();
    if (now - this.#last >= this.#intervalMs) this.#emit(now);
  }

  finish(): void {
    this.#emit(Date.now());
  }

  #emit(now: number): void {
    if (!this.#listener) return;
    this.#last = now;
    const seconds = Math.max((now - this.#start) / 1000, 1e-3);
    const rate = this.doneBytes / seconds;
    const left = this.totalBytes - this.doneBytes;
    this.#listener({
      phase: this.#phase,
      doneBytes: this.doneBytes,
      totalBytes: this.totalBytes,
      rate,
      ...(rate > 0 && left >= 0 ? { etaSeconds: left / rate } : {}),
    });
  }
}
