// Image writes with O_DIRECT: the file ends up holding exactly what was written, wherever the writes
// start and end (aligned, unaligned, a tail shorter than a page), through holes, on file systems that
// may refuse O_DIRECT, and with the caller reusing its buffer as soon as a write resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectWriter } from '../../src/mover/direct-writer.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const MiB = 1 << 20;

/** Whether files in `dir` can be opened with O_DIRECT, asked of the kernel directly. */
async function allowsDirect(dir: string): Promise<boolean> {
  const probe = join(dir, 'probe');
  try {
    await (await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT)).close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}

for (const [where, dir] of [['the test directory', undefined], ['tmpfs', '/dev/shm']] as const) {
  test(`writes land byte for byte, holes stay holes, on ${where}`, async (t) => {
    const root = dir ? await mkdtemp(join(dir, 'cairn-test-')) : await tempDir(t);
    if (dir) t.after(() => rm(root, { recursive: true, force: true }));
    const path = join(root, 'restored.img');
    const size = 9 * MiB + 1234; // the last page is short
    const expected = Buffer.alloc(size);
    const writer = await DirectWriter.open(path, 'w');
    assert.equal(writer.direct, await allowsDirect(root), 'direct exactly where the file system allows it (tmpfs does since Linux 6.6)');
    await writer.truncate(size);
    // [offset, length]: aligned megabytes, a run longer than a staging buffer, an unaligned head and
    // tail, a few bytes inside one page, and the image's short end.
    const writes: [number, number][] = [[0, MiB], [2 * MiB, 3 * MiB + 8192], [6 * MiB + 100, 5000], [7 * MiB + 10, 20], [9 * MiB - 4096, 4096 + 1234]];
    const scratch = Buffer.alloc(4 * MiB);
    for (const [offset, length] of writes) {
      const bytes = randomBytes(length);
      bytes.copy(expected, offset);
      bytes.copy(scratch);
      await writer.write(scratch.subarray(0, length), offset);
      scratch.fill(0xee); // reused at once, as a restore frees its decode buffer
    }
    await writer.sync();
    await writer.close();
    const got = await readFile(path);
    assert.equal(got.length, size);
    assert.ok(got.equals(expected), 'the file holds what was written, nothing else');
    const { blocks } = await stat(path);
    assert.ok(blocks * 512 < 6 * MiB, `holes between the writes stay unallocated (${blocks * 512} bytes allocated)`);
  });
}

test('many writes at once, larger than the staging buffers, into a file: no descriptor left open', async (t) => {
  const path = join(await tempDir(t), 'img');
  const fds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
  const before = await fds();
  const bytes = randomBytes(24 * MiB + 512);
  const writer = await DirectWriter.open(path, 'w');
  await Promise.all(Array.from({ length: 8 }, (_, i) => writer.write(bytes.subarray(i * 3 * MiB, Math.min(bytes.length, (i + 1) * 3 * MiB + (i === 7 ? 512 : 0))), i * 3 * MiB)));
  await writer.sync();
  await writer.close();
  assert.ok(bytes.equals(await readFile(path)));
  assert.ok(await fds() <= before, 'both descriptors closed');
});

test('opening a path in a missing directory fails with the error and leaves no descriptor', async (t) => {
  const root = await tempDir(t);
  await assert.rejects(DirectWriter.open(join(root, 'missing', 'img'), 'w'), { code: 'ENOENT' });
  await assert.rejects(DirectWriter.open(join(root, 'absent.img'), 'r+'), { code: 'ENOENT' });
});
