// Write-behind during an image restore: a datasync that fails stops the restore at its next write,
// and the failure comes back from idle() too. The failure is a real one: the file was closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { WriteBehind } from '../../src/mover/write-behind.ts';
import { tempDir } from '../testkit/temp-dir.ts';

test('a failed datasync fails the next write and idle()', async (t) => {
  const fh = await open(join(await tempDir(t), 'img'), 'w');
  const writeBehind = new WriteBehind(fh);
  writeBehind.wrote(1 << 20); // below the step: nothing starts
  await writeBehind.idle();
  await fh.close();
  writeBehind.wrote(32 << 20); // starts a datasync on a closed file
  await assert.rejects(writeBehind.idle(), /EBADF|closed/);
  assert.throws(() => writeBehind.wrote(4096), /EBADF|closed/);
});
