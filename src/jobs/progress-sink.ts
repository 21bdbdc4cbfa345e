/**
 * Carries a running operation's progress to the catalog (at most once a second, so the database is
 * not the bottleneck of a fast backup) and its cancellation back to the work: the mover calls the
 * listener as it goes, and the listener throws once a cancel was asked.
 */
import type { Kysely } from 'kysely';
import { cancelRequested, setProgress } from '../catalog/operations.ts';
import type { Database } from '../catalog/schema.ts';
import { CairnError } from '../core/errors.ts';
import type { Progress, ProgressListener } from '../core/progress.ts';

export class ProgressSink {
  readonly #db: Kysely<Database>;
  readonly #operationId: string;
  #last = 0;
  #writing: Promise<void> = Promise.resolve();
  #cancelled = false;
  /** Said in the progress next to the mover's phase (which resource of several). */
  step = '';

  constructor(db: Kysely<Database>, operationId: string) {
    this.#db = db;
    this.#operationId = operationId;
  }

  readonly listener: ProgressListener = (p: Progress) => {
    if (this.#cancelled) throw new CairnError('cancelled', 'the operation was cancelled');
    const now = Date.now();
    if (now - this.#last < 1000) return;
    this.#last = now;
    this.#writing = this.#writing.then(async () => {
      await setProgress(this.#db, this.#operationId, { ...p, step: this.step });
      if (await cancelRequested(this.#db, this.#operationId)) this.#cancelled = true;
    }).catch(() => undefined); // progress is best effort: a lost update is replaced by the next
  };

  async report(p: Record<string, unknown>): Promise<void> {
    await this.#writing;
    await setProgress(this.#db, this.#operationId, { ...p, step: this.step });
  }

  /** Throws if a cancel was asked (checked between steps). */
  async checkCancelled(): Promise<void> {
    await this.#writing;
    if (this.#cancelled || await cancelRequested(this.#db, this.#operationId)) {
      this.#cancelled = true;
      throw new CairnError('cancelled', 'the operation was cancelled');
    }
  }
}
