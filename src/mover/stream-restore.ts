/** Restores a stream checkpoint to a writable (a file or stdout), in order, with backpressure. */
import { once } from 'node:events';
import { CairnError } from '../core/errors.ts';
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import type { Bank } from '../bank/bank.ts';
import type { Manifest } from '../bank/manifest.ts';
import type { CodecPool } from './codec-pool.ts';
import { dynamicEntries, readEntries } from './dynamic-index-reader.ts';

export async function restoreStream(bank: Bank, pool: CodecPool, manifest: Manifest, out: NodeJS.WritableStream, onProgress?: ProgressListener): Promise<number> {
  if (manifest.index.kind !== 'dynamic') throw new CairnError('bad-input', `checkpoint ${manifest.id} is a ${manifest.type}, not a stream`);
  const index = await bank.loadIndex();
  const meter = new ProgressMeter('restore', manifest.index.size, onProgress);
  let written = 0;
  for await (const plain of readEntries(bank, pool, index, dynamicEntries(bank, index, manifest.index))) {
    if (!out.write(plain)) await once(out, 'drain');
    written += plain.length;
    meter.add(plain.length);
  }
  meter.finish();
  return written;
}
