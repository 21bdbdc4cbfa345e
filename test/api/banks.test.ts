// Banks in the service: the first start makes a local bank whose passphrase only the master key
// opens; operators attach more; a wrong passphrase or an empty location is refused with what to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cairnOk } from '../testkit/cli.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { call, startServer } from '../testkit/cairn-server.ts';
import { openCatalog } from '../../src/catalog/catalog.ts';
import { bankSecret } from '../../src/catalog/banks.ts';
import { MasterKey } from '../../src/catalog/secrets.ts';

test('the local bank of the first start, sealed with the master key; attaching and creating banks', async (t) => {
  const dir = await tempDir(t);
  const data = join(dir, 'data');
  const server = await startServer(t, ['--data', data], { CAIRN_ADMIN_PASSWORD: 'admin password for banks' });
  assert.match(server.output(), /created the bank 'local' in/);
  const token = String((await call(`${server.url}/v1/tokens`, { body: { username: 'admin', password: 'admin password for banks' } })).body.token);
  const list = await call(`${server.url}/v1/banks`, { token });
  const banks = list.body.items as { id: string; name: string; siteId: string; location: string; bankUuid: string }[];
  assert.deepEqual(banks.map((b) => [b.name, b.location]), [['local', join(data, 'bank')]]);
  const descriptor = JSON.parse(await readFile(join(data, 'bank', 'cairn-bank.json'), 'utf8')) as { bankId: string };
  assert.equal(banks[0]!.bankUuid, descriptor.bankId);
  assert.doesNotMatch(JSON.stringify(list.body), /passphrase|secret/i);
  assert.equal((await stat(join(data, 'master.key'))).mode & 0o777, 0o600);

  // An operator creates a bank with a passphrase, then attaching it again needs the right one.
  const site = banks[0]!.siteId;
  const made = await call(`${server.url}/v1/banks`, { token, body: { name: 'second', siteId: site, location: join(dir, 'second'), passphrase: 'second bank passphrase', create: true } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const wrong = await call(`${server.url}/v1/banks`, { token, body: { name: 'again', siteId: site, location: join(dir, 'second'), passphrase: 'not the passphrase!' } });
  assert.equal(wrong.status, 400);
  assert.match(String(wrong.body.detail), /passphrase/);
  const empty = await call(`${server.url}/v1/banks`, { token, body: { name: 'none', siteId: site, location: join(dir, 'empty'), passphrase: 'whatever passphrase' } });
  assert.equal(empty.status, 400);
  assert.match(String(empty.body.detail), /holds no Cairn bank/);
  const again = await call(`${server.url}/v1/banks`, { token, body: { name: 'again', siteId: site, location: join(dir, 'second'), passphrase: 'second bank passphrase' } });
  assert.equal(again.status, 201);
  assert.equal(again.body.bankUuid, made.body.bankUuid, 'the same bank, attached twice, is known by its own id');
  assert.equal(await server.stop(), 0);

  // The catalog holds the local bank's passphrase sealed: the master key opens it, and it opens the bank.
  const catalog = await openCatalog({ dataDir: data });
  let passphrase: string;
  try {
    const row = await catalog.db.selectFrom('banks').select(['id', 'secret_sealed']).where('name', '=', 'local').executeTakeFirstOrThrow();
    assert.match(row.secret_sealed, /^v1\./);
    passphrase = await bankSecret(catalog.db, new MasterKey(await readFile(join(data, 'master.key'))), row.id);
    assert.ok(!row.secret_sealed.includes(passphrase));
    await assert.rejects(bankSecret(catalog.db, new MasterKey(Buffer.alloc(32, 7)), row.id), /does not open with this server's master key/);
  } finally {
    await catalog.close();
  }
  await cairnOk(['checkpoints', '--bank', join(data, 'bank')], { env: { CAIRN_PASSPHRASE: passphrase } });
});
