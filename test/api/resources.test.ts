// Hosts and discovery through the API, on a real directory of volumes and a real libvirt domain:
// resources belong to the host's tenant (or to whom an operator gives them) and are seen by its
// members only; what disappears is marked missing, not forgotten.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { openCatalog, type Catalog } from '../../src/catalog/catalog.ts';
import { ensureAdmin, issueToken } from '../../src/catalog/access.ts';
import { createSite } from '../../src/catalog/banks.ts';
import { MasterKey } from '../../src/catalog/secrets.ts';
import { createTenant, createUser, setMember } from '../../src/catalog/tenants.ts';
import { bankService } from '../../src/main/bank-service.ts';
import { pluginCatalog } from '../../src/main/plugin-catalog.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { qemu } from '../testkit/qemu.ts';
import { startDomain } from '../testkit/libvirt.ts';

interface World { app: FastifyInstance; catalog: Catalog; dir: string; site: string; a: string; b: string; tokens: Record<'operator' | 'aViewer' | 'bAdmin', string> }

async function world(t: TestContext): Promise<World> {
  const dir = await tempDir(t);
  const catalog = await openCatalog({ dataDir: join(dir, 'data') });
  t.after(() => catalog.close());
  const db = catalog.db;
  await ensureAdmin(db, 'operator password');
  const admin = await db.selectFrom('users').select('id').executeTakeFirstOrThrow();
  const a = (await createTenant(db, 'a')).id, b = (await createTenant(db, 'b')).id;
  const viewer = await createUser(db, { username: 'a-viewer', password: 'a password of twelve', operator: false });
  const bAdmin = await createUser(db, { username: 'b-admin', password: 'a password of twelve', operator: false });
  await setMember(db, a, viewer.id, 'viewer');
  await setMember(db, b, bAdmin.id, 'admin');
  const tok = async (id: string): Promise<string> => (await issueToken(db, id, { name: 't' })).token;
  const app = await buildApp({ catalog, version: 'test', masterKey: new MasterKey(randomBytes(32)), banks: bankService({}), plugins: pluginCatalog() });
  t.after(() => app.close());
  return { app, catalog, dir, site: (await createSite(db, 'site')).id, a, b, tokens: { operator: await tok(admin.id), aViewer: await tok(viewer.id), bAdmin: await tok(bAdmin.id) } };
}

async function ask<T = Record<string, unknown>>(w: World, as: keyof World['tokens'], method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await w.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${w.tokens[as]}` }, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
  return { status: res.statusCode, body: JSON.parse(res.body) as T };
}

interface ResourceJson { id: string; type: string; name: string; externalId: string; parentId: string | null; tenantId: string | null; missingSince: string | null; details: Record<string, unknown> }

test('a directory of volumes: discovery, tenant scoping, and volumes that disappear', async (t) => {
  const w = await world(t);
  const vols = join(w.dir, 'vols');
  await mkdir(vols);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, 'a.qcow2'), '64M']);
  await qemu('qemu-img', ['create', '-q', '-f', 'raw', join(vols, 'b.img'), '16M']);

  const types = await ask<{ items: { type: string; restoreTargetSchema: Record<string, unknown> }[] }>(w, 'aViewer', 'GET', '/v1/protectables');
  assert.deepEqual(types.body.items.map((p) => p.type), ['volume', 'server', 'fileset']);
  assert.equal(types.body.items[0]!.restoreTargetSchema.type, 'object');

  const host = await ask<{ id: string }>(w, 'operator', 'POST', '/v1/hosts', { name: 'vols', siteId: w.site, kind: 'volumes', location: vols, tenantId: w.a });
  assert.equal(host.status, 201);
  assert.equal((await ask(w, 'aViewer', 'POST', `/v1/hosts/${host.body.id}/discover`)).status, 403);
  assert.deepEqual((await ask(w, 'operator', 'POST', `/v1/hosts/${host.body.id}/discover`)).body, { found: 2, added: 2, missing: 0 });

  const seen = await ask<{ items: ResourceJson[] }>(w, 'aViewer', 'GET', '/v1/resources');
  assert.deepEqual(seen.body.items.map((r) => [r.type, r.externalId]).sort(), [['volume', join(vols, 'a.qcow2')], ['volume', join(vols, 'b.img')]]);
  assert.ok(seen.body.items.every((r) => r.tenantId === w.a));
  assert.deepEqual((await ask<{ items: unknown[] }>(w, 'bAdmin', 'GET', '/v1/resources')).body.items, [], 'another tenant sees none of them');
  const one = seen.body.items.find((r) => r.name === 'a.qcow2')!;
  assert.equal((await ask(w, 'bAdmin', 'GET', `/v1/resources/${one.id}`)).status, 404);
  assert.equal((await ask(w, 'aViewer', 'GET', `/v1/resources/${one.id}`)).status, 200);

  await rm(join(vols, 'b.img'));
  assert.deepEqual((await ask(w, 'operator', 'POST', `/v1/hosts/${host.body.id}/discover`)).body, { found: 1, added: 0, missing: 1 });
  const after = await ask<{ items: ResourceJson[] }>(w, 'aViewer', 'GET', '/v1/resources?type=volume');
  assert.ok(after.body.items.find((r) => r.name === 'b.img')?.missingSince, 'a volume that disappeared is marked missing, not forgotten');
  assert.equal(after.body.items.find((r) => r.name === 'a.qcow2')?.missingSince, null);

  const broken = await ask<{ id: string }>(w, 'operator', 'POST', '/v1/hosts', { name: 'gone', siteId: w.site, kind: 'volumes', location: join(w.dir, 'nowhere') });
  const failed = await ask<{ detail: string }>(w, 'operator', 'POST', `/v1/hosts/${broken.body.id}/discover`);
  assert.equal(failed.status, 502);
  assert.match(failed.body.detail, /discovery on host gone .* does not exist/);
  const hosts = await ask<{ items: { name: string; discoveryError: string | null }[] }>(w, 'operator', 'GET', '/v1/hosts');
  assert.match(hosts.body.items.find((h) => h.name === 'gone')?.discoveryError ?? '', /does not exist/);
});

test('a libvirt host: a server with its volumes as a tree, unowned until an operator gives it to a tenant', async (t) => {
  const w = await world(t);
  await chmod(w.dir, 0o755);
  const vda = join(w.dir, 'vda.qcow2'), vdb = join(w.dir, 'vdb.img');
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', vda, '64M']);
  await qemu('qemu-img', ['create', '-q', '-f', 'raw', vdb, '32M']);
  const name = `cairn-api-${process.pid}`;
  await startDomain(t, name, [{ path: vda, format: 'qcow2' }, { path: vdb, format: 'raw' }]);
  const host = await ask<{ id: string }>(w, 'operator', 'POST', '/v1/hosts', { name: 'kvm1', siteId: w.site, kind: 'libvirt', location: 'qemu:///system' });
  const found = await ask<{ found: number }>(w, 'operator', 'POST', `/v1/hosts/${host.body.id}/discover`);
  assert.equal(found.status, 200);
  const all = await ask<{ items: ResourceJson[] }>(w, 'operator', 'GET', `/v1/resources?hostId=${host.body.id}`);
  const server = all.body.items.find((r) => r.type === 'server' && r.externalId === name);
  assert.ok(server, JSON.stringify(all.body.items.map((r) => r.externalId)));
  assert.equal(server.details.state, 'running');
  const disks = all.body.items.filter((r) => r.parentId === server.id);
  assert.deepEqual(disks.map((d) => [d.type, d.name, d.externalId]).sort(), [['volume', 'vda', vda], ['volume', 'vdb', vdb]]);

  assert.equal((await ask(w, 'bAdmin', 'GET', `/v1/resources/${server.id}`)).status, 404, 'unowned: only operators see it');
  assert.equal((await ask(w, 'bAdmin', 'PATCH', `/v1/resources/${server.id}`, { tenantId: w.b })).status, 403);
  assert.equal((await ask(w, 'operator', 'PATCH', `/v1/resources/${server.id}`, { tenantId: w.b })).status, 200);
  const mine = await ask<{ items: ResourceJson[] }>(w, 'bAdmin', 'GET', '/v1/resources');
  assert.deepEqual(mine.body.items.map((r) => r.name).sort(), [name, 'vda', 'vdb'], 'the server comes with its volumes');
  assert.deepEqual((await ask<{ items: unknown[] }>(w, 'aViewer', 'GET', '/v1/resources')).body.items, []);
});
