// What the console's tests show: a tenant "acme" with a member alice and three real qcow2 volumes,
// and another tenant "globex" whose things acme's users must not reach.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { signIn, type Api } from '../testkit/api-client.ts';
import { startServer, type RunningServer } from '../testkit/cairn-server.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { qemu, qemuWrite } from '../testkit/qemu.ts';

export const ADMIN_PASSWORD = 'operator passphrase for the console';
export const ALICE_PASSWORD = 'alice has a long password';
export const BOB_PASSWORD = 'bob only looks at things';

export interface AcmeTenant {
  tenant: string;
  plans: { nightly: string; strict: string };
  strictMadeAt: number;
  /** The resource ids by volume file name: web.qcow2, db.qcow2, scratch.qcow2. */
  resources: Map<string, string>;
}

/** A tenant "acme" whose member alice owns three volumes: one in a plan that is backed up, one in a plan that will miss its one-minute RPO, one in none. */
export async function tenantWithVolumes(admin: Api, dir: string): Promise<AcmeTenant> {
  const vols = join(dir, 'vols');
  await mkdir(vols);
  for (const name of ['web', 'db', 'scratch']) await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, `${name}.qcow2`), '64M']);
  await qemuWrite(join(vols, 'web.qcow2'), 'write -P 0x5a 0 16M');
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'acme' })).body.id;
  await addUser(admin, tenant, 'alice', ALICE_PASSWORD, 'member');
  const host = (await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant })).body.id;
  assert.equal((await admin.send('POST', `/v1/hosts/${host}/discover`)).status, 200);
  const resources = new Map((await admin.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.map((r) => [r.name, r.id]));
  const policy = (await admin.send<{ id: string }>('POST', '/v1/policies', { tenantId: tenant, name: 'manual', retention: { keepLast: 3 } })).body.id;
  const strictMadeAt = Date.now();
  const strict = await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'strict', policyId: policy, resourceIds: [resources.get('db.qcow2')], rpoSeconds: 60 });
  const nightly = await admin.send<{ id: string }>('POST', '/v1/plans', { tenantId: tenant, name: 'nightly', policyId: policy, resourceIds: [resources.get('web.qcow2')] });
  assert.equal(strict.status, 201, JSON.stringify(strict.body));
  assert.equal(nightly.status, 201, JSON.stringify(nightly.body));
  return { tenant, plans: { nightly: nightly.body.id, strict: strict.body.id }, strictMadeAt, resources };
}

/** A user with a role in a tenant. */
export async function addUser(admin: Api, tenant: string, username: string, password: string, role: 'admin' | 'member' | 'viewer'): Promise<string> {
  const user = await admin.send<{ id: string }>('POST', '/v1/users', { username, password });
  assert.equal(user.status, 201, JSON.stringify(user.body));
  assert.equal((await admin.send('PUT', `/v1/tenants/${tenant}/members/${user.body.id}`, { role })).status, 200);
  return user.body.id;
}

/** Another tenant, "globex", with one volume, secret.qcow2, being backed up: the backup operation, which acme's users must not reach (nor its checkpoint). */
export async function otherTenantOperation(admin: Api, dir: string): Promise<string> {
  const vols = join(dir, 'globex-vols');
  await mkdir(vols);
  await qemu('qemu-img', ['create', '-q', '-f', 'qcow2', join(vols, 'secret.qcow2'), '16M']);
  const site = (await admin.get<{ items: { id: string }[] }>('/v1/sites')).body.items[0]!.id;
  const tenant = (await admin.send<{ id: string }>('POST', '/v1/tenants', { name: 'globex' })).body.id;
  const host = (await admin.send<{ id: string }>('POST', '/v1/hosts', { name: 'globex-vols', siteId: site, kind: 'volumes', location: vols, tenantId: tenant })).body.id;
  assert.equal((await admin.send('POST', `/v1/hosts/${host}/discover`)).status, 200);
  const secret = (await admin.get<{ items: { id: string; name: string }[] }>('/v1/resources')).body.items.find((r) => r.name === 'secret.qcow2')!.id;
  const op = await admin.send<{ id: string }>('POST', '/v1/checkpoints', { resourceIds: [secret] });
  assert.equal(op.status, 202, JSON.stringify(op.body));
  return op.body.id;
}

/**
 * A `cairn server` on PGlite in a temp dir (with `env` besides the admin's password), with acme (alice
 * its member, bob its viewer) and globex, whose backup has ended: what a test of who may see and do what starts from.
 */
export async function serverWithTenants(t: TestContext, env: Record<string, string> = {}): Promise<{ dir: string; server: RunningServer; admin: Api; acme: AcmeTenant; foreignOperation: string }> {
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env });
  const admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const acme = await tenantWithVolumes(admin, dir);
  await addUser(admin, acme.tenant, 'bob', BOB_PASSWORD, 'viewer');
  const foreignOperation = await otherTenantOperation(admin, dir);
  assert.equal((await admin.finished(foreignOperation)).state, 'succeeded');
  return { dir, server, admin, acme, foreignOperation };
}
