/**
 * Bounds how much work is in flight. `run` waits for a free slot, then starts the task without
 * waiting for it; `drain` waits for everything and rethrows the first failure. After a failure
 * no new task starts, so a pipeline stops promptly.
 */
export class Limiter {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    if (this.#failure) throw this.#failure.error;
    const p: Promise<void> = task().catch((error: unknown) => { this.#failure ??= { error }; })
      .finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    if (this.#failure) throw this.#failure.error;
  }
}
