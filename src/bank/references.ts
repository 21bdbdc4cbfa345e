/**
 * What a checkpoint references: every metadata chunk (index pages, catalog pieces) and data chunk.
 * Reading the metadata checks it on the way; a damaged piece throws CairnError 'corrupt'.
 */
import { CairnError } from '../core/errors.ts';
import type { FileEntry } from '../core/file-entry.ts';
import type { Bank } from './bank.ts';
import type { ChunkIndex } from './chunk-index.ts';
import { decodeEntry } from './entry-codec.ts';
import { decodeDynamicPage, isZeroId } from './index-pages.ts';
import type { DynamicIndexRef, FileTreeRef, FixedIndexRef, Manifest } from './manifest.ts';

export interface Reference {
  id: Buffer;
  meta: boolean;
}

/**
 * With `skipPage`, an index page (of an image or a stream, not of a catalog, whose records span pages)
 * for which it returns true, asked before the page is yielded, is yielded but not read: a caller that
 * walked that page already (GC: chains of incrementals share most pages) saves reading it again.
 */
export async function* referencedChunks(bank: Bank, index: ChunkIndex, m: Manifest, skipPage?: (id: Buffer) => boolean): AsyncGenerator<Reference> {
  const idx = m.index;
  if (idx.kind === 'fixed') {
    yield* fixedRefs(bank, index, idx, skipPage);
  } else if (idx.kind === 'server') {
    for (const disk of idx.disks) yield* fixedRefs(bank, index, disk.index, skipPage);
  } else if (idx.kind === 'dynamic') {
    yield* dynamicRefs(bank, index, idx, false, skipPage);
  } else if (idx.kind === 'files') {
    yield* dynamicRefs(bank, index, idx.catalog, true);
    for await (const entry of catalogEntries(bank, index, idx)) {
      for (const ref of entry.content ?? []) {
        const id = Buffer.from(ref.id, 'hex');
        if (!isZeroId(id)) yield { id, meta: false };
      }
    }
  } else {
    throw new CairnError('format-too-new', `checkpoint ${m.id} has an index of kind '${(idx as { kind: string }).kind}' that this Cairn does not know: upgrade Cairn`);
  }
}

async function* fixedRefs(bank: Bank, index: ChunkIndex, ref: FixedIndexRef, skipPage?: (id: Buffer) => boolean): AsyncGenerator<Reference> {
  for (const pageId of ref.pages) {
    if (!pageId) continue;
    const id = Buffer.from(pageId, 'hex');
    const skip = skipPage?.(id) ?? false;
    yield { id, meta: true };
    if (skip) continue;
    const page = await bank.readChunk(index, id);
    for (let o = 0; o < page.length; o += 32) if (!isZeroId(page, o)) yield { id: page.subarray(o, o + 32), meta: false };
  }
}

async function* dynamicRefs(bank: Bank, index: ChunkIndex, ref: DynamicIndexRef, meta: boolean, skipPage?: (id: Buffer) => boolean): AsyncGenerator<Reference> {
  for (const page of ref.pages) {
    const pageId = Buffer.from(page.id, 'hex');
    const skip = skipPage?.(pageId) ?? false;
    yield { id: pageId, meta: true };
    if (skip) continue;
    for (const e of decodeDynamicPage(await bank.readChunk(index, pageId), `page ${page.id}`)) {
      if (!isZeroId(e.id)) yield { id: e.id, meta };
    }
  }
}

/** The entries of a file tree's catalog, in scan order (depth-first, siblings by raw name bytes). */
export async function* catalogEntries(bank: Bank, index: ChunkIndex, tree: FileTreeRef): AsyncGenerator<FileEntry> {
  let pending: Buffer = Buffer.alloc(0);
  for (const page of tree.catalog.pages) {
    for (const e of decodeDynamicPage(await bank.readChunk(index, Buffer.from(page.id, 'hex')), `catalog page ${page.id}`)) {
      pending = Buffer.concat([pending, await bank.readChunk(index, e.id)]);
      let start = 0;
      for (let nl = pending.indexOf(10); nl >= 0; nl = pending.indexOf(10, start)) {
        yield decodeEntry(pending.subarray(start, nl + 1));
        start = nl + 1;
      }
      pending = pending.subarray(start);
    }
  }
  if (pending.length > 0) yield decodeEntry(pending);
}
