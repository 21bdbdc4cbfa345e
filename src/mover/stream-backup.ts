/** Backs up a byte stream (a pipe, a dump) into a dynamic index of content-defined chunks. */
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import { BackupSession } from '../bank/backup-session.ts';
import type { Bank } from '../bank/bank.ts';
import { gearKey } from '../bank/keys.ts';
import type { Manifest } from '../bank/manifest.ts';
import { CdcChunker, createGearTable } from './cdc-chunker.ts';
import type { CodecPool } from './codec-pool.ts';
import { ContentWriter } from './content-writer.ts';
import { DynamicIndexWriter } from './dynamic-index-writer.ts';
import { Limiter } from './limiter.ts';

export interface StreamBackupRequest {
  source: AsyncIterable<Uint8Array>;
  name: string;
  parent: Manifest | null;
  tags?: string[];
  /** Expected size when known (for progress only). */
  sizeHint?: number;
  onProgress?: ProgressListener;
}

export function chunkerFor(bank: Bank): CdcChunker {
  return new CdcChunker({ gear: createGearTable(gearKey(bank.keys)), ...bank.chunking.cdc });
}

export async function backupStream(bank: Bank, pool: CodecPool, req: StreamBackupRequest): Promise<Manifest> {
  const session = await BackupSession.start(bank);
  const limiter = new Limiter(pool.threads + 1);
  const meter = new ProgressMeter('backup', req.sizeHint ?? 0, req.onProgress);
  try {
    const index = new DynamicIndexWriter(session, bank.chunking.dynamicPageEntries);
    const writer = new ContentWriter(session, pool, chunkerFor(bank), { chunk: (_o, e) => index.add(e), end: () => undefined }, {
      limiter, type: 'data', level: bank.chunking.compressionLevel,
    });
    let readBytes = 0;
    writer.begin();
    for await (const piece of req.source) {
      readBytes += piece.length;
      if (readBytes > meter.totalBytes) meter.totalBytes = readBytes;
      await writer.write(piece);
      meter.add(piece.length);
    }
    await writer.end();
    await writer.finish();
    meter.finish();
    return await session.commit({
      name: req.name, type: 'stream', parent: req.parent?.id ?? null, tags: req.tags ?? [],
      sourceBytes: readBytes, readBytes, storedBytes: writer.storedBytes, index: await index.finish(),
    });
  } catch (err) {
    await limiter.drain().catch(() => undefined);
    await session.close();
    throw err;
  }
}
