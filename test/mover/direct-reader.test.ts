// Image reads with O_DIRECT: the bytes are the file's, at the end of a file whose size is not a
// multiple of the page, through an unaligned buffer, and on file systems that refuse O_DIRECT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AlignedBuffers } from '../../src/mover/aligned-buffers.ts';
import { DirectReader } from '../../src/mover/direct-reader.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const MiB = 1 << 20;

async function readAll(path: string, size: number, into: () => Uint8Array): Promise<Buffer> {
  const reader = await DirectReader.open(path);
  try {
    const parts: Buffer[] = [];
    for (let at = 0; at < size; at += MiB) {
      const buf = into();
      const n = await reader.read(buf, Math.min(MiB, size - at), at);
      parts.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(parts);
  } finally {
    await reader.close();
  }
}

for (const [where, dir] of [['the test directory', undefined], ['tmpfs', '/dev/shm']] as const) {
  test(`reads every byte of a file of odd size on ${where}`, async (t) => {
    const root = dir ? await mkdtemp(join(dir, 'cairn-test-')) : await tempDir(t);
    if (dir) t.after(() => rm(root, { recursive: true, force: true }));
    const path = join(root, 'odd.img');
    const bytes = randomBytes(3 * MiB + 4096 + 1234);
    await writeFile(path, bytes);
    const pool = new AlignedBuffers(MiB);
    assert.ok(bytes.equals(await readAll(path, bytes.length, () => new Uint8Array(pool.take()))), 'aligned buffers');
    // A buffer from malloc is rarely page-aligned: the reader falls back to the page cache.
    assert.ok(bytes.equals(await readAll(path, bytes.length, () => new Uint8Array(new ArrayBuffer(MiB + 4096), 16))), 'unaligned buffers');
  });
}

test('a read past the end returns what exists, and nothing at the end', async (t) => {
  const root = await tempDir(t);
  const path = join(root, 'small.img');
  await writeFile(path, Buffer.alloc(5000, 7));
  const reader = await DirectReader.open(path);
  t.after(() => reader.close());
  const buf = new Uint8Array(new AlignedBuffers(MiB).take());
  assert.equal(await reader.read(buf, 65536, 0), 5000);
  assert.equal(await reader.read(buf, 65536, 8192), 0);
});
