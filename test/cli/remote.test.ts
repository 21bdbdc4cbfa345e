// The CLI against a running server, as a tenant's member uses it: login keeps a token in a file only
// its owner reads; resources, policies, plans, backup --plan, checkpoints, restore --target, verify,
// forget and operations work with --json and without; logout revokes the token. Then the catalog is
// lost: `cairn catalog rebuild` with the master key imports the bank's checkpoints into a new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { call, startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { cairn, cairnOk } from '../testkit/cli.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for the CLI';
const USER_PASSWORD = 'alice has a long password';

test('the CLI against a server: login, plans, backup, restore, operations, logout; a lost catalog rebuilt from the bank', async (t) => {
  const dir = await tempDir(t);
  const data = join(dir, 'data'), vols = join(dir, 'vols');
  const server = await startServer(t, ['--data', data], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  const alice = await admin.send<{ id: string }>('POST', '/v1/users', { username: 'alice', password: USER_PASSWORD });
  await admin.send('PUT', `/v1/tenants/${tenant}/members/${alice.body.id}`, { role: 'member' });
  await mkdir(vols);
  const volume = join(vols, 'web.qcow2');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', volume, '32M']);
  await qemuWrite(volume, 'write -P 0x5a 0 3M', 'write -P 0xa5 20M 1M');
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant });
  await admin.send('POST', `/v1/hosts/${host.body.id}/discover`);

  const config = join(dir, 'config');
  const env = { CAIRN_CONFIG_DIR: config, CAIRN_PASSPHRASE: undefined };
  const as = (args: string[]) => cairnOk(args, { env });

  const none = await cairn(['checkpoints'], { env });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name a bank with --bank <bank> \(or CAIRN_BANK\), or sign in to a Cairn server with cairn login <url>/);
  const wrong = await cairn(['login', server.url, '-u', 'alice'], { env: { ...env, CAIRN_PASSWORD: 'not her password' } });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /wrong username or password/);

  const login = await cairnOk(['login', server.url, '-u', 'alice'], { env: { ...env, CAIRN_PASSWORD: USER_PASSWORD } });
  assert.match(login.stdout, /signed in to http:\/\/127\.0\.0\.1:\d+ as alice/);
  const sessionFile = join(config, 'session.json');
  assert.equal((await stat(sessionFile)).mode & 0o777, 0o600, 'the token is readable by its owner only');
  const token = (JSON.parse(await readFile(sessionFile, 'utf8')) as { token: string }).token;
  assert.doesNotMatch(login.stdout + login.stderr, new RegExp(token), 'the token is never printed');
  assert.match((await as(['whoami'])).stdout, /^alice at http:\S+\n  member of tenant /);

  const resources = (await as(['resources', '--json'])).json<{ id: string; name: string }[]>();
  const web = resources.find((r) => r.name === 'web.qcow2')!;
  assert.ok(web, JSON.stringify(resources));
  assert.match((await as(['resources'])).stdout, /web\.qcow2/);
  const policy = (await as(['policies', 'create', 'nightly', '--schedule', '0 3 * * *', '--keep-daily', '7', '--keep-last', '3', '--json'])).json<{ id: string }>();
  assert.match((await as(['policies'])).stdout, /nightly\s+0 3 \* \* \* \(UTC\)\s+keep-last 3, keep-daily 7/);
  const badPolicy = await cairn(['policies', 'create', 'forever'], { env });
  assert.equal(badPolicy.code, 2);
  assert.match(badPolicy.stderr, /say how long to keep checkpoints/);
  const plan = (await as(['plans', 'create', 'web', '--policy', policy.id, '--resource', web.id, '--json'])).json<{ id: string; resourceIds: string[] }>();
  assert.deepEqual(plan.resourceIds, [web.id]);

  // A backup followed to its end; then one queued and followed with operations watch.
  const backedUp = await as(['backup', '--plan', plan.id]);
  assert.match(backedUp.stdout, /backed up 1 resource\(s\): checkpoint /);
  assert.match(backedUp.stderr, /full backup into bank/);
  await qemuWrite(volume, 'write -P 0x77 8M 1M');
  const queued = (await as(['backup', '--plan', plan.id, '--no-wait', '--json'])).json<{ id: string; state: string }>();
  assert.equal(queued.state, 'queued');
  assert.match((await as(['operations', 'watch', queued.id])).stdout, new RegExp(`operation ${queued.id} \\(backup\\) succeeded`));
  const ops = (await as(['operations', '--type', 'backup', '--json'])).json<{ state: string }[]>();
  assert.deepEqual(ops.map((o) => o.state), ['succeeded', 'succeeded']);
  assert.match((await as(['operations', 'show', queued.id])).stdout, /incremental backup on [0-9a-f]{16}/);

  const cps = (await as(['checkpoints', '--plan', plan.id, '--json'])).json<{ id: string; bankRef: string; parentRef: string | null }[]>();
  assert.equal(cps.length, 2);
  assert.equal(cps[1]!.parentRef, cps[0]!.bankRef);
  assert.match((await as(['checkpoints'])).stdout, /incremental\s+available/);

  // Restore by the bank's id of the checkpoint, as a new volume; then verify and forget the first.
  const restored = await as(['restore', cps[1]!.bankRef, '--target', 'new:web-restored.qcow2']);
  assert.match(restored.stdout, /restored checkpoint [0-9a-f]{16} \(vols\/web\.qcow2\) to .*web-restored\.qcow2/);
  await qemu('qemu-img', ['compare', '-q', volume, join(vols, 'web-restored.qcow2')]);
  const badTarget = await cairn(['restore', cps[1]!.bankRef, '--target', 'somewhere'], { env });
  assert.equal(badTarget.code, 2);
  assert.match(badTarget.stderr, /give new:<name>/);
  assert.match((await as(['verify', cps[0]!.id, cps[1]!.id])).stdout, /2 checkpoint\(s\) intact/);
  assert.match((await as(['forget', cps[0]!.id])).stdout, /deleted checkpoint/);
  assert.equal((await as(['checkpoints', '--json'])).json<unknown[]>().length, 1);

  assert.match((await as(['logout'])).stdout, /signed out of/);
  assert.equal((await call(`${server.url}/v1/me`, { token })).status, 401, 'logout revokes the token');
  await assert.rejects(stat(sessionFile), 'the session file is gone');

  // The server's local bank opens with its master key alone: the CLI reads it without the server.
  const keyFile = join(data, 'master.key');
  const inBank = (await cairnOk(['checkpoints', '--bank', join(data, 'bank'), '--key-file', keyFile, '--json'], { env })).json<{ id: string }[]>();
  assert.deepEqual(inBank.map((c) => c.id), [cps[1]!.bankRef]);

  // The catalog is lost. The server started anew attaches the bank beside it with its master key and
  // imports its checkpoint (no tenant owns it yet); `catalog rebuild --tenant` gives it to the tenant made again.
  assert.equal(await server.stop(), 0);
  await rm(join(data, 'catalog'), { recursive: true });
  const fresh = await startServer(t, ['--data', data], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  assert.match(fresh.output(), /attached the bank already in .* as 'local'/);
  assert.match(fresh.output(), /imported 1 checkpoint/);
  const admin2 = await signIn(fresh.url, 'admin', ADMIN_PASSWORD);
  const tenant2 = (await admin2.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  assert.equal(await fresh.stop(), 0);
  const rebuilt = (await cairnOk(['catalog', 'rebuild', '--data', data, '--bank', join(data, 'bank'), '--key-file', keyFile, '--tenant', tenant2, '--json'], { env })).json<{ imported: number; givenToTenant: number }>();
  assert.deepEqual([rebuilt.imported, rebuilt.givenToTenant], [0, 1]);
  const back = await startServer(t, ['--data', data], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin3 = await signIn(back.url, 'admin', ADMIN_PASSWORD);
  const listed = await admin3.get<{ items: { bankRef: string; tenantId: string; status: string }[] }>('/v1/checkpoints');
  assert.deepEqual(listed.body.items.map((c) => [c.bankRef, c.tenantId, c.status]), [[cps[1]!.bankRef, tenant2, 'available']]);

  // Into an empty catalog elsewhere (another site's), with the bank's key file: imported, owned by no tenant.
  const other = join(dir, 'other-site');
  const elsewhere = (await cairnOk(['catalog', 'rebuild', '--data', other, '--bank', join(data, 'bank'), '--key-file', keyFile, '--site', 'dr', '--json'], { env })).json<{ imported: number }>();
  assert.equal(elsewhere.imported, 1);
});
