// Who may do what: each role × each endpoint × own or another tenant's object → the expected status.
// The app runs in process (Fastify's inject) on a real embedded catalog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../src/api/app.ts';
import { MasterKey } from '../../src/catalog/secrets.ts';
import { bankService } from '../../src/main/bank-service.ts';
import { pluginCatalog } from '../../src/main/plugin-catalog.ts';
import { openCatalog } from '../../src/catalog/catalog.ts';
import { ensureAdmin, issueToken } from '../../src/catalog/access.ts';
import { createTenant, createUser, setMember } from '../../src/catalog/tenants.ts';
import { tempDir } from '../testkit/temp-dir.ts';

function detail(body: string): string {
  return String((JSON.parse(body) as { detail?: unknown }).detail);
}

test('the access matrix of tenants, members and users; lists page; no response holds a password', async (t) => {
  const catalog = await openCatalog({ dataDir: join(await tempDir(t), 'data') });
  t.after(() => catalog.close());
  const db = catalog.db;
  await ensureAdmin(db, 'operator password');
  const a = await createTenant(db, 'tenant-a'), b = await createTenant(db, 'tenant-b');
  const token = async (username: string, operator = false): Promise<{ id: string; token: string }> => {
    const u = username === 'admin'
      ? (await db.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow())
      : await createUser(db, { username, password: 'a password of twelve', operator });
    return { id: u.id, token: (await issueToken(db, u.id, { name: 'test' })).token };
  };
  const who = {
    operator: await token('admin'), aAdmin: await token('a-admin'), aMember: await token('a-member'), aViewer: await token('a-viewer'), bAdmin: await token('b-admin'),
  };
  await setMember(db, a.id, who.aAdmin.id, 'admin');
  await setMember(db, a.id, who.aMember.id, 'member');
  await setMember(db, a.id, who.aViewer.id, 'viewer');
  await setMember(db, b.id, who.bAdmin.id, 'admin');
  const target = await createUser(db, { username: 'someone', password: 'a password of twelve', operator: false });

  const app = await buildApp({ catalog, version: 'test', masterKey: new MasterKey(randomBytes(32)), banks: bankService({}), plugins: pluginCatalog() });
  t.after(() => app.close());
  const ask = async (as: keyof typeof who | null, method: string, url: string, body?: unknown) => {
    const res = await app.inject({ method: method as 'GET', url, headers: as ? { authorization: `Bearer ${who[as].token}` } : {}, ...(body === undefined ? {} : { payload: body as Record<string, unknown> }) });
    return { status: res.statusCode, body: res.body };
  };

  type Row = [string, string, unknown, Record<keyof typeof who, number>];
  const rows: Row[] = [
    ['POST', '/v1/tenants', { name: 'new-one' }, { operator: 201, aAdmin: 403, aMember: 403, aViewer: 403, bAdmin: 403 }],
    ['GET', '/v1/tenants', undefined, { operator: 200, aAdmin: 200, aMember: 200, aViewer: 200, bAdmin: 200 }],
    ['GET', `/v1/tenants/${a.id}`, undefined, { operator: 200, aAdmin: 200, aMember: 200, aViewer: 200, bAdmin: 404 }],
    ['GET', `/v1/tenants/${a.id}/members`, undefined, { operator: 200, aAdmin: 200, aMember: 200, aViewer: 200, bAdmin: 404 }],
    ['PUT', `/v1/tenants/${a.id}/members/${target.id}`, { role: 'viewer' }, { operator: 200, aAdmin: 200, aMember: 403, aViewer: 403, bAdmin: 404 }],
    ['DELETE', `/v1/tenants/${a.id}/members/${target.id}`, undefined, { operator: 204, aAdmin: 204, aMember: 403, aViewer: 403, bAdmin: 404 }],
    ['POST', `/v1/tenants/${a.id}/members`, { username: 'someone', role: 'viewer' }, { operator: 200, aAdmin: 200, aMember: 403, aViewer: 403, bAdmin: 404 }],
    ['POST', '/v1/users', { username: 'made', password: 'a password of twelve' }, { operator: 201, aAdmin: 403, aMember: 403, aViewer: 403, bAdmin: 403 }],
    ['GET', '/v1/users', undefined, { operator: 200, aAdmin: 403, aMember: 403, aViewer: 403, bAdmin: 403 }],
    ['GET', '/v1/sites', undefined, { operator: 200, aAdmin: 403, aMember: 403, aViewer: 403, bAdmin: 403 }],
    ['GET', '/v1/banks', undefined, { operator: 200, aAdmin: 403, aMember: 403, aViewer: 403, bAdmin: 403 }],
    ['GET', '/v1/plan-banks', undefined, { operator: 200, aAdmin: 200, aMember: 200, aViewer: 200, bAdmin: 200 }],
    ['POST', '/v1/sites', { name: 'site' }, { operator: 201, aAdmin: 403, aMember: 403, aViewer: 403, bAdmin: 403 }],
  ];
  const wrong: string[] = [];
  for (const [method, url, body, expected] of rows) {
    for (const as of Object.keys(expected) as (keyof typeof who)[]) {
      // A DELETE needs the membership back for the next principal, and a creation a fresh name.
      if (method === 'DELETE') await setMember(db, a.id, target.id, 'viewer');
      const b2 = body && typeof body === 'object' && 'name' in body ? { name: `new-${as}-${url.split('/')[2]}` } : body && typeof body === 'object' && 'username' in body && url === '/v1/users' ? { ...body, username: `made-${as}` } : body;
      const got = await ask(as, method, url, b2);
      if (got.status !== expected[as]) wrong.push(`${as} ${method} ${url}: ${got.status}, expected ${expected[as]} (${got.body.slice(0, 120)})`);
      if (/password/i.test(got.body) && got.status < 400) wrong.push(`${as} ${method} ${url}: the response mentions a password`);
    }
    const anonymous = await ask(null, method, url, body);
    if (anonymous.status !== 401) wrong.push(`no token ${method} ${url}: ${anonymous.status}, expected 401`);
  }
  assert.deepEqual(wrong, []);

  // Each sees only its tenants; another tenant's id answers like one that does not exist.
  const names = async (as: keyof typeof who): Promise<string[]> => (JSON.parse((await ask(as, 'GET', '/v1/tenants')).body) as { items: { name: string }[] }).items.map((x) => x.name).sort();
  assert.deepEqual(await names('aViewer'), ['tenant-a']);
  assert.deepEqual(await names('bAdmin'), ['tenant-b']);
  assert.ok((await names('operator')).includes('tenant-b'));
  const hidden = await ask('bAdmin', 'GET', `/v1/tenants/${a.id}`);
  const missing = await ask('bAdmin', 'GET', '/v1/tenants/00000000-0000-0000-0000-000000000000');
  assert.equal(detail(hidden.body), `there is no tenant ${a.id}`);
  assert.equal(missing.status, hidden.status);

  // A tenant's admin adds an account by its username (they cannot list accounts to learn ids).
  const members = async () => (JSON.parse((await ask('aAdmin', 'GET', `/v1/tenants/${a.id}/members`)).body) as { items: { username: string; role: string }[] }).items;
  const added = await ask('aAdmin', 'POST', `/v1/tenants/${a.id}/members`, { username: ' someone ', role: 'member' });
  assert.equal(added.status, 200, added.body);
  assert.deepEqual(JSON.parse(added.body), { userId: target.id, username: 'someone', role: 'member' });
  assert.ok((await members()).some((m) => m.username === 'someone' && m.role === 'member'));
  const before = await members();
  const unknown = await ask('aAdmin', 'POST', `/v1/tenants/${a.id}/members`, { username: 'nobody', role: 'viewer' });
  assert.equal(unknown.status, 404);
  assert.match(detail(unknown.body), /there is no user named nobody: check the spelling/);
  const badRole = await ask('aAdmin', 'POST', `/v1/tenants/${a.id}/members`, { username: 'someone', role: 'owner' });
  assert.equal(badRole.status, 400);
  assert.match(detail(badRole.body), /role/);
  const empty = await ask('aAdmin', 'POST', `/v1/tenants/${a.id}/members`, { username: '  ', role: 'viewer' });
  assert.equal(empty.status, 400);
  assert.deepEqual(await members(), before, 'a refused addition changes nothing');
});

test('lists come in pages that chain by `after`, and bad input says what to fix', async (t) => {
  const catalog = await openCatalog({ dataDir: join(await tempDir(t), 'data') });
  t.after(() => catalog.close());
  await ensureAdmin(catalog.db, 'operator password');
  const admin = await catalog.db.selectFrom('users').select('id').executeTakeFirstOrThrow();
  const token = (await issueToken(catalog.db, admin.id, { name: 'test' })).token;
  for (let i = 0; i < 5; i++) await createTenant(catalog.db, `t${i}`);
  const app = await buildApp({ catalog, version: 'test', masterKey: new MasterKey(randomBytes(32)), banks: bankService({}), plugins: pluginCatalog() });
  t.after(() => app.close());
  const get = async (url: string) => JSON.parse((await app.inject({ url, headers: { authorization: `Bearer ${token}` } })).body) as { items: { name: string }[]; next: string | null; detail?: string };
  const seen: string[] = [];
  let page = await get('/v1/tenants?limit=2');
  for (;;) {
    seen.push(...page.items.map((x) => x.name));
    if (!page.next) break;
    page = await get(`/v1/tenants?limit=2&after=${page.next}`);
  }
  assert.deepEqual(seen.sort(), ['t0', 't1', 't2', 't3', 't4']);
  assert.match(String((await get('/v1/tenants?limit=0')).detail), /limit/);
  const dup = await app.inject({ method: 'POST', url: '/v1/tenants', headers: { authorization: `Bearer ${token}` }, payload: { name: 't1' } });
  assert.equal(dup.statusCode, 400);
  assert.match(detail(dup.body), /a tenant named t1 exists already/);
  const weak = await app.inject({ method: 'POST', url: '/v1/users', headers: { authorization: `Bearer ${token}` }, payload: { username: 'x', password: 'short' } });
  assert.equal(weak.statusCode, 400);
  assert.match(detail(weak.body), /at least 12 characters/);
});
