// File sets through the API: a host of file roots, each subdirectory a file set; backed up with an
// exclude, restored as a new directory (whole, or some paths), and in place over the original.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for file sets';

test('file sets: discovered under a host of file roots, backed up, restored new, partly, and in place', async (t) => {
  const dir = await tempDir(t);
  const roots = join(dir, 'roots');
  const alpha = join(roots, 'alpha');
  await mkdir(join(alpha, 'docs'), { recursive: true });
  await mkdir(join(roots, 'beta'));
  await writeFile(join(alpha, 'docs', 'report.txt'), 'quarterly figures\n');
  await writeFile(join(alpha, 'notes.md'), '# notes\n');
  await writeFile(join(alpha, 'cache.tmp'), 'not worth keeping');

  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const types = (await admin.get<{ items: { type: string }[] }>('/v1/protectables')).body.items.map((p) => p.type);
  assert.deepEqual(types, ['volume', 'server', 'fileset']);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const host = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'nas', siteId: site, kind: 'files', location: roots });
  assert.equal(host.status, 201, JSON.stringify(host.body));
  assert.deepEqual((await admin.send('POST', `/v1/hosts/${host.body.id}/discover`)).body, { found: 2, added: 2, missing: 0 });
  const sets = (await admin.get<{ items: { id: string; name: string; type: string }[] }>('/v1/resources?type=fileset')).body.items;
  const set = sets.find((r) => r.name === 'alpha')!;
  assert.ok(set, JSON.stringify(sets));

  const policy = (await admin.send<{ id: string }>('POST', '/v1/policies', { name: 'files', retention: { keepLast: 3 }, options: { exclude: ['*.tmp'] } })).body.id;
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 't' })).body.id;
  await admin.send('PATCH', `/v1/resources/${set.id}`, { tenantId: tenant });
  const plan = (await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'alpha', policyId: policy, resourceIds: [set.id] })).body.id;
  const backup = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/checkpoints', { planId: plan })).body.id);
  assert.equal(backup.state, 'succeeded', JSON.stringify(backup));
  const cp = (await admin.get<{ items: { id: string; type: string }[] }>(`/v1/checkpoints?planId=${plan}`)).body.items[0]!;
  assert.equal(cp.type, 'files');

  const whole = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/restores', { checkpointId: cp.id, target: { mode: 'new', name: 'alpha-copy' } })).body.id);
  assert.equal(whole.state, 'succeeded', JSON.stringify(whole));
  assert.equal(await readFile(join(roots, 'alpha-copy', 'docs', 'report.txt'), 'utf8'), 'quarterly figures\n');
  assert.equal(await readFile(join(roots, 'alpha-copy', 'notes.md'), 'utf8'), '# notes\n');
  await assert.rejects(stat(join(roots, 'alpha-copy', 'cache.tmp')), 'the policy\'s exclude left it out');

  const part = await admin.finished((await admin.send<{ id: string }>('POST', '/v1/restores', { checkpointId: cp.id, target: { mode: 'new', name: 'only-docs' }, parameters: { include: ['docs'] } })).body.id);
  assert.equal(part.state, 'succeeded', JSON.stringify(part));
  assert.equal(await readFile(join(roots, 'only-docs', 'docs', 'report.txt'), 'utf8'), 'quarterly figures\n');
  await assert.rejects(stat(join(roots, 'only-docs', 'notes.md')));

  // The tenant's member restores on the file set's own host (an operator's), and on no other of it.
  const ann = await admin.send<{ id: string }>('POST', '/v1/users', { username: 'ann', password: 'ann has a long password' });
  await admin.send('PUT', `/v1/tenants/${tenant}/members/${ann.body.id}`, { role: 'member' });
  const member = await signIn(server.url, 'ann', 'ann has a long password');
  const otherRoots = join(dir, 'other-roots');
  await mkdir(otherRoots);
  const other = await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'other-nas', siteId: site, kind: 'files', location: otherRoots });
  assert.equal((await member.send('POST', '/v1/restores', { checkpointId: cp.id, target: { mode: 'new', name: 'x', hostId: other.body.id } })).status, 404);
  await rm(join(alpha, 'docs'), { recursive: true });
  await writeFile(join(alpha, 'notes.md'), 'overwritten by mistake\n');
  const inPlace = await member.finished((await member.send<{ id: string }>('POST', '/v1/restores', { checkpointId: cp.id, target: { mode: 'in-place' } })).body.id);
  assert.equal(inPlace.state, 'succeeded', JSON.stringify(inPlace));
  assert.equal(await readFile(join(alpha, 'docs', 'report.txt'), 'utf8'), 'quarterly figures\n');
  assert.equal(await readFile(join(alpha, 'notes.md'), 'utf8'), '# notes\n');
  assert.equal(await readFile(join(alpha, 'cache.tmp'), 'utf8'), 'not worth keeping', 'what the checkpoint does not hold stays');

  const wrongKind = await admin.send<{ detail: string }>('POST', '/v1/restores', { checkpointId: cp.id, target: { mode: 'recreate' } });
  assert.equal(wrongKind.status, 400);
});
