// Test data on real files: sparse images with data where a test wants it, and byte comparison.
import { open, readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';

/** A sparse file of `size` bytes with random data written at each [offset, length). */
export async function makeImage(path: string, size: number, data: [offset: number, length: number][] = []): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    for (const [offset, length] of data) await fh.write(randomBytes(length), 0, length, offset);
  } finally {
    await fh.close();
  }
}

/** A file of `bytes` random (incompressible, undeduplicable) bytes, written 16 MiB at a time. */
export async function randomVolume(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (let at = 0; at < bytes; at += 16 << 20) await fh.write(randomBytes(16 << 20), 0, 16 << 20, at);
  } finally {
    await fh.close();
  }
}

export async function writeAt(path: string, offset: number, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, offset);
  } finally {
    await fh.close();
  }
}

export async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(path)) h.update(b as Buffer);
  return h.digest('hex');
}

/** Allocated bytes on disk (st_blocks * 512): shows whether a restore stayed sparse. */
export async function allocated(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    return (await fh.stat()).blocks * 512;
  } finally {
    await fh.close();
  }
}

export { readFile };
