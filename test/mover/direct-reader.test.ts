// Image reads with O_DIRECT: the bytes are the file's, at the end of a file whose size is not a
// multiple of the page, through an unaligned buffer, and on file systems that refuse O_DIRECT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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

test('reads running at once when the file system refuses direct reads: all right, no descriptor left open', async (t) => {
  const root = await tempDir(t);
  const path = join(root, 'img');
  const bytes = randomBytes(12 * MiB + 777);
  await writeFile(path, bytes);
  const fds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
  const before = await fds();
  const reader = await DirectReader.open(path);
  // Buffers 16 bytes off a page: every direct read fails with EINVAL, at any moment of the others.
  const reads = Array.from({ length: 13 }, async (_, i) => {
    const buf = new Uint8Array(new AlignedBuffers(2 * MiB).take(), 16, MiB + 4096);
    const n = await reader.read(buf, Math.min(MiB, bytes.length - i * MiB), i * MiB);
    return Buffer.from(buf.subarray(0, n));
  });
  assert.ok(bytes.equals(Buffer.concat(await Promise.all(reads))));
  assert.equal(reader.direct, false, 'refused once, the reader stays with the page cache');
  await reader.close();
  assert.equal(await fds(), before);
});
