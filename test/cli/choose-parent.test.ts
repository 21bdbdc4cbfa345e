// The default parent is the newest checkpoint of the resource; one forgotten between the listing and
// the read (a prune running at the same time) is passed over for the next newest, not an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Bank } from '../../src/bank/bank.ts';
import { chooseParent } from '../../src/cli/commands/backup.ts';
import { CodecPool } from '../../src/mover/codec-pool.ts';
import { backupStream } from '../../src/mover/stream-backup.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { DelegatingBackend } from '../testkit/delegating-backend.ts';
import { tempDir } from '../testkit/temp-dir.ts';

/** Fault injection: read number `at` of `victim`'s manifest finds it deleted, as a concurrent forget would. */
class ForgetBackend extends DelegatingBackend {
  victim = '';
  at = 1;
  override async get(key: string): Promise<Uint8Array> {
    if (this.victim && key === `checkpoints/${this.victim}` && --this.at === 0) {
      this.victim = '';
      await this.inner.delete(key);
    }
    return this.inner.get(key);
  }
}

async function twoCheckpoints(t: Parameters<typeof tempDir>[0]): Promise<{ storage: ForgetBackend; bank: Bank; older: string; newer: string }> {
  const storage = new ForgetBackend(new LocalBackend(join(await tempDir(t), 'bank')));
  const bank = await Bank.init(storage, [{ passphrase: 'x' }], { scrypt: { N: 1024, r: 8, p: 1 } });
  const pool = new CodecPool(bank.keys, 1);
  t.after(() => pool.close());
  const older = await backupStream(bank, pool, { source: Readable.from([Buffer.from('one')]), name: 's', parent: null });
  const newer = await backupStream(bank, pool, { source: Readable.from([Buffer.from('two')]), name: 's', parent: older });
  return { storage, bank, older: older.id, newer: newer.id };
}

const opts = { bank: 'unused', name: 's' };

test('a newest checkpoint forgotten between the listing and the read gives way to the next newest', async (t) => {
  const { storage, bank, older, newer } = await twoCheckpoints(t);
  assert.equal((await chooseParent(bank, opts, 'stream'))?.id, newer);
  storage.victim = newer;
  storage.at = 2; // the listing reads it, then it is gone when the parent is read whole
  assert.equal((await chooseParent(bank, opts, 'stream'))?.id, older);
});

test('a checkpoint forgotten while checkpoints are listed is left out of the listing', async (t) => {
  const { storage, bank, older, newer } = await twoCheckpoints(t);
  storage.victim = newer;
  storage.at = 1;
  assert.deepEqual((await bank.listCheckpoints()).map((c) => c.id), [older]);
});
