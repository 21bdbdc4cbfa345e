/**
 * Reading the files of a tree being backed up: small files whole into a read-ahead region, others
 * through the content writer a buffer at a time. A file that cannot be opened is reported, not thrown.
 */
import { open } from 'node:fs/promises';
import type { ContentWriter } from '../content-writer.ts';

export interface ReadResult {
  bytes: number;
  /** Why the file could not be opened (it is then recorded empty). */
  error?: string;
}

export interface Prefetched {
  bytes: Buffer;
  /** The file holds more than its scanned size: it is read again, whole, in its turn. */
  grew: boolean;
  error?: string;
}

/**
 * Reads a small file into `region`, which has room for one byte more than its scanned size: reading
 * that byte too tells whether the file grew since the scan, without a second read per file. A read
 * that stops at exactly the scanned size is the end of the file.
 */
export async function readAhead(path: Buffer, region: Buffer): Promise<Prefetched> {
  const size = region.length - 1;
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return { bytes: region.subarray(0, 0), grew: false, error: (err as Error).message };
  }
  try {
    let got = 0;
    while (got < region.length) {
      const { bytesRead } = await fh.read(region, got, region.length - got, null);
      got += bytesRead;
      if (bytesRead === 0 || got === size) break;
    }
    return got > size ? { bytes: region.subarray(0, size), grew: true } : { bytes: region.subarray(0, got), grew: false };
  } finally {
    await fh.close();
  }
}

/** Reads a file into the content writer through `buf` as it goes (large files, and files that grew). */
export async function readInto(content: ContentWriter, buf: Buffer, path: Buffer, progress: (n: number) => void): Promise<ReadResult> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return { bytes: 0, error: (err as Error).message };
  }
  try {
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      await content.write(buf.subarray(0, bytesRead));
      bytes += bytesRead;
      progress(bytesRead);
    }
    return { bytes };
  } finally {
    await fh.close();
  }
}
