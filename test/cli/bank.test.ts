// Banks and their keys through the CLI: unlocking, wrong secrets, passphrase changes, key files.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, readdir, writeFile, stat } from 'node:fs/promises';
import { tempDir } from '../testkit/temp-dir.ts';
import { cairn, cairnOk, PASSPHRASE } from '../testkit/cli.ts';
import { makeImage, sha256 } from '../testkit/files.ts';

async function bankWithBackup(t: TestContext): Promise<{ dir: string; bank: string; id: string; src: string }> {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), src = join(dir, 'disk.img');
  await makeImage(src, 3 << 20, [[0, 1 << 20]]);
  await cairnOk(['bank', 'init', bank]);
  const { id } = (await cairnOk(['backup', 'image', src, '--bank', bank, '--name', 'disk', '--json'])).json<{ id: string }>();
  return { dir, bank, id, src };
}

/** Every object of the bank with its bytes' digest: to prove what a command did not touch. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir, { recursive: true })) {
    const p = join(dir, name);
    if ((await stat(p)).isFile()) out.set(name, await sha256(p));
  }
  return out;
}

test('bank info needs no key and shows the format, parameters and key slots, never secrets', async (t) => {
  const { bank } = await bankWithBackup(t);
  const info = (await cairnOk(['bank', 'info', bank, '--json'], { env: { CAIRN_PASSPHRASE: undefined } })).json<Record<string, unknown>>();
  assert.equal(info.format, 'cairn-bank');
  assert.equal(info.formatVersion, 2);
  assert.equal(info.checkpoints, 1);
  assert.equal((info.keySlots as unknown[]).length, 1);
  const text = JSON.stringify(info) + (await readFile(join(bank, 'cairn-bank.json'), 'utf8'));
  assert.ok(!text.includes(PASSPHRASE), 'the passphrase appears in the bank or in bank info');
});

test('a wrong passphrase, a missing one, and a location that is not a bank get clear errors', async (t) => {
  const { dir, bank } = await bankWithBackup(t);
  const wrong = await cairn(['checkpoints', '--bank', bank], { env: { CAIRN_PASSPHRASE: 'not it' } });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /wrong passphrase/);
  assert.ok(!wrong.stderr.includes('not it'), 'the error repeats the passphrase');
  const none = await cairn(['checkpoints', '--bank', bank], { env: { CAIRN_PASSPHRASE: undefined } });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /CAIRN_PASSPHRASE|--passphrase-file/);
  const notBank = await cairn(['checkpoints', '--bank', dir]);
  assert.equal(notBank.code, 2);
  assert.match(notBank.stderr, /is not a Cairn bank/);
  const again = await cairn(['bank', 'init', bank]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a Cairn bank/);
});

test('a bank written by a newer format version is refused with advice to upgrade', async (t) => {
  const { bank } = await bankWithBackup(t);
  const path = join(bank, 'cairn-bank.json');
  const d = JSON.parse(await readFile(path, 'utf8')) as { version: number };
  d.version = 3;
  await writeFile(path, JSON.stringify(d));
  const r = await cairn(['checkpoints', '--bank', bank]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /format version 3.*upgrade Cairn/);
});

test('a bank of the pre-release format 1 is refused, for backups too, with what to do', async (t) => {
  const { bank, src } = await bankWithBackup(t);
  const path = join(bank, 'cairn-bank.json');
  const d = JSON.parse(await readFile(path, 'utf8')) as { version: number };
  d.version = 1;
  await writeFile(path, JSON.stringify(d));
  for (const args of [['checkpoints', '--bank', bank], ['backup', 'image', src, '--bank', bank, '--name', 'again']]) {
    const r = await cairn(args);
    assert.equal(r.code, 2, `${args[0]} must refuse a version 1 bank`);
    assert.match(r.stderr, /format version 1.*create a new bank/);
  }
});

test('bank passwd changes the passphrase and rewrites nothing but the descriptor', async (t) => {
  const { dir, bank, id, src } = await bankWithBackup(t);
  const before = await snapshot(bank);
  await cairnOk(['bank', 'passwd', bank], { env: { CAIRN_NEW_PASSPHRASE: 'a new one' } });
  const after = await snapshot(bank);
  const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
  assert.deepEqual(changed, ['cairn-bank.json']);
  assert.equal(after.size, before.size);
  const old = await cairn(['checkpoints', '--bank', bank]);
  assert.equal(old.code, 2, 'the old passphrase still opens the bank');
  const out = join(dir, 'out.img');
  await cairnOk(['restore', id, '--bank', bank, '--to', out], { env: { CAIRN_PASSPHRASE: 'a new one' } });
  assert.equal(await sha256(out), await sha256(src));
});

test('a key file unlocks the bank on its own; a passphrase file works too', async (t) => {
  const dir = await tempDir(t);
  const bank = join(dir, 'bank'), keyFile = join(dir, 'bank.key'), pwFile = join(dir, 'pw');
  const init = (await cairnOk(['bank', 'init', bank, '--key-file', keyFile, '--json'])).json<{ keySlots: number; keyFileGenerated: boolean }>();
  assert.equal(init.keySlots, 2);
  assert.equal(init.keyFileGenerated, true);
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600, 'the key file must be private');
  const src = join(dir, 'd.img');
  await makeImage(src, 1 << 20, [[0, 1 << 20]]);
  const { id } = (await cairnOk(['backup', 'image', src, '--bank', bank, '--name', 'd', '--key-file', keyFile, '--json'], { env: { CAIRN_PASSPHRASE: undefined } })).json<{ id: string }>();
  await writeFile(pwFile, PASSPHRASE + '\n');
  const list = (await cairnOk(['checkpoints', '--bank', bank, '--passphrase-file', pwFile, '--json'], { env: { CAIRN_PASSPHRASE: undefined } })).json<{ id: string }[]>();
  assert.deepEqual(list.map((c) => c.id), [id]);
  await writeFile(keyFile, Buffer.alloc(32, 7).toString('base64') + '\n');
  const wrongKey = await cairn(['checkpoints', '--bank', bank, '--key-file', keyFile]);
  assert.equal(wrongKey.code, 2);
  assert.match(wrongKey.stderr, /wrong key file/);
});
