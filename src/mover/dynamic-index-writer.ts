/**
 * Builds a dynamic index (ordered chunk refs) page by page while chunks arrive, so a stream of any
 * length needs memory for one page only.
 */
import type { BackupSession } from '../bank/backup-session.ts';
import { encodeDynamicPage, type DynamicEntry } from '../bank/index-pages.ts';
import type { DynamicIndexRef } from '../bank/manifest.ts';

export class DynamicIndexWriter {
  readonly #session: BackupSession;
  readonly #perPage: number;
  #entries: DynamicEntry[] = [];
  #bytes = 0;
  #size = 0;
  readonly #pages: DynamicIndexRef['pages'] = [];

  constructor(session: BackupSession, perPage: number) {
    this.#session = session;
    this.#perPage = perPage;
  }

  async add(entry: DynamicEntry): Promise<void> {
    this.#entries.push(entry);
    this.#bytes += entry.size;
    if (this.#entries.length >= this.#perPage) await this.#flushPage();
  }

  async finish(): Promise<DynamicIndexRef> {
    if (this.#entries.length) await this.#flushPage();
    return { kind: 'dynamic', size: this.#size, pages: this.#pages };
  }

  async #flushPage(): Promise<void> {
    const entries = this.#entries, bytes = this.#bytes;
    this.#entries = [];
    this.#bytes = 0;
    const id = await this.#session.storeMeta(encodeDynamicPage(entries));
    this.#pages.push({ id: id.toString('hex'), bytes, chunks: entries.length });
    this.#size += bytes;
  }
}
