/**
 * Restores a stream checkpoint in order: to a writable (stdout) with its backpressure, or to a file
 * (direct-writer.ts: around the page cache where the file system allows, renamed into place once
 * durable, so a failed or interrupted restore leaves no plausible file).
 */
import { once } from 'node:events';
import { CairnError } from '../core/errors.ts';
import { ProgressMeter, type ProgressListener } from '../core/progress.ts';
import type { Bank } from '../bank/bank.ts';
import type { Manifest } from '../bank/manifest.ts';
import type { CodecPool } from './codec-pool.ts';
import { writeDurably } from './direct-writer.ts';
import { dynamicEntries, readEntries } from './dynamic-index-reader.ts';

export async function restoreStream(bank: Bank, pool: CodecPool, manifest: Manifest, out: NodeJS.WritableStream, onProgress?: ProgressListener): Promise<number> {
  return eachPiece(bank, pool, manifest, onProgress, async (plain) => {
    if (!out.write(plain)) await once(out, 'drain');
  });
}

export async function restoreStreamToFile(bank: Bank, pool: CodecPool, manifest: Manifest, target: string, onProgress?: ProgressListener): Promise<number> {
  return writeDurably(target, false, (out) => eachPiece(bank, pool, manifest, onProgress, (plain, at) => out.write(plain, at)));
}

/** Hands the stream's plaintext to `write` in order, each piece with its offset; returns the bytes. */
async function eachPiece(bank: Bank, pool: CodecPool, manifest: Manifest, onProgress: ProgressListener | undefined, write: (plain: Buffer, at: number) => Promise<void>): Promise<number> {
  if (manifest.index.kind !== 'dynamic') throw new CairnError('bad-input', `checkpoint ${manifest.id} is a ${manifest.type}, not a stream`);
  const index = await bank.loadIndex();
  const meter = new ProgressMeter('restore', manifest.index.size, onProgress);
  let written = 0;
  for await (const plain of readEntries(bank, pool, index, dynamicEntries(bank, index, manifest.index))) {
    await write(plain, written);
    written += plain.length;
    meter.add(plain.length);
  }
  meter.finish();
  return written;
}
