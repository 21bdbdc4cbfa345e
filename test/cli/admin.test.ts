// The administration commands against a running server, as an operator and a tenant's member use
// them: sites, hosts, banks, tenants with members and quotas, users and usage, by name, with --json
// and without; each change checked through the API. Refused: an operator's command run by a member
// (403, non-zero exit), and bad limits, which change nothing. A new account's password never shows.
// On PostgreSQL with an agent running, releasing its host is refused with the server's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, startWorker } from '../testkit/cairn-server.ts';
import { signIn } from '../testkit/api-client.ts';
import { cairn, cairnOk, type CliOptions } from '../testkit/cli.ts';
import { freshDatabase } from '../testkit/postgres.ts';
import { tempDir } from '../testkit/temp-dir.ts';

const ADMIN_PASSWORD = 'operator passphrase for the CLI';
const ALICE_PASSWORD = 'alice types this one slowly';
const OPS_PASSWORD = 'a second operator, from a file';

interface Quota { quota: { maxResources: number | null; maxCheckpoints: number | null; maxStoredBytes: number | null } }

test('an operator administers the server with the CLI; a member is refused what is not hers', async (t) => {
  const dir = await tempDir(t);
  const server = await startServer(t, ['--data', join(dir, 'data')], { CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD });
  const api = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  const env: Record<string, string | undefined> = { CAIRN_CONFIG_DIR: join(dir, 'admin-config'), CAIRN_PASSPHRASE: undefined, CAIRN_PASSWORD: undefined };
  const as = (args: string[], o: CliOptions = {}) => cairnOk(args, { ...o, env: { ...env, ...o.env } });
  const refused = async (args: string[], code: number, message: RegExp, who = env) => {
    const r = await cairn(args, { env: who });
    assert.equal(r.code, code, `cairn ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    assert.match(r.stderr, message);
  };
  await as(['login', server.url, '-u', 'admin'], { env: { CAIRN_PASSWORD: ADMIN_PASSWORD } });

  // Sites; with two, a host must say which.
  assert.deepEqual((await as(['sites', '--json'])).json<{ name: string }[]>().map((s) => s.name), ['local']);
  const dr = (await as(['sites', 'create', 'dr', '--json'])).json<{ id: string }>();
  assert.ok((await api.get<{ items: { id: string }[] }>('/v1/sites')).body.items.some((s) => s.id === dr.id));
  assert.match((await as(['sites'])).stdout, /^ID\s+NAME\s+CREATED\n.*\bdr\b/);

  // Tenants and accounts. Passwords come from standard input or a file, never from argv or output.
  const acme = (await as(['tenants', 'create', 'acme', '--json'])).json<{ id: string; name: string }>();
  const alice = await as(['users', 'create', 'alice', '--password-file', '-'], { input: `${ALICE_PASSWORD}\n` });
  assert.match(alice.stdout, /^user \S+ \(alice\); give it a tenant with cairn tenants add-member/);
  const opsFile = join(dir, 'ops-password');
  await writeFile(opsFile, OPS_PASSWORD, { mode: 0o600 });
  const ops = await as(['users', 'create', 'ops', '--operator', '--password-file', opsFile, '--json']);
  for (const r of [alice, ops]) assert.doesNotMatch(r.stdout + r.stderr, /alice types|second operator/);
  assert.deepEqual((await as(['users', '--json'])).json<{ username: string; operator: boolean }[]>().map((u) => [u.username, u.operator]).sort(),
    [['admin', true], ['alice', false], ['ops', true]]);
  assert.equal((await signIn(server.url, 'ops', OPS_PASSWORD)).token.length > 0, true, 'the account signs in with the password read from the file');
  await refused(['users', 'create', 'mallory'], 2, /no password for the new account: pass --password-file <file> \(- for standard input\)/);
  await as(['tenants', 'add-member', 'acme', 'alice', '--role', 'member']);
  assert.deepEqual((await as(['tenants', 'members', acme.id, '--json'])).json<{ username: string; role: string }[]>().map((m) => [m.username, m.role]), [['alice', 'member']]);
  await refused(['tenants', 'add-member', 'acme', 'alice', '--role', 'owner'], 2, /argument 'owner' is invalid. Allowed choices are admin, member, viewer/);

  // A host by names; discovery; its limit, refused at 0 and unchanged; release with no agent.
  const roots = join(dir, 'roots');
  await mkdir(join(roots, 'docs'), { recursive: true });
  await writeFile(join(roots, 'docs', 'a.txt'), 'some words');
  await refused(['hosts', 'add', 'files1', '--kind', 'files', '--location', roots], 2, /say which site the host is at with --site: (dr|local) \(\S+\), (dr|local) \(\S+\)/);
  const host = (await as(['hosts', 'add', 'files1', '--kind', 'files', '--location', roots, '--site', 'local', '--tenant', 'acme', '--json'])).json<{ id: string; tenantId: string }>();
  assert.equal(host.tenantId, acme.id);
  assert.deepEqual((await as(['hosts', 'discover', 'files1', '--json'])).json<{ found: number; added: number }>(), { hostId: host.id, found: 1, added: 1, missing: 0 });
  assert.match((await as(['hosts', 'set', 'files1', '--max-operations', '2'])).stdout, /host files1: at most 2 operation\(s\) at once/);
  await refused(['hosts', 'set', 'files1', '--max-operations', '0'], 2, /--max-operations 0: give a whole number, 1 or more, or none for no limit/);
  await refused(['hosts', 'discover', 'nowhere'], 2, /there is no host nowhere: choose one of files1 \(/);
  const hosts = await api.get<{ items: { name: string; maxOperations: number | null; discoveredAt: string | null; runningOperations: number }[] }>('/v1/hosts');
  assert.deepEqual(hosts.body.items.map((h) => [h.name, h.maxOperations, h.runningOperations, h.discoveredAt !== null]), [['files1', 2, 0, true]]);
  assert.match((await as(['hosts'])).stdout, /files1\s+files\s+local\s+acme\s+\S+\s+\d{4}-\d\d-\d\dT\S+\s+0\s+2\n/);
  assert.equal((await as(['hosts', 'set', host.id, '--max-operations', 'none', '--json'])).json<{ maxOperations: null }>().maxOperations, null);
  assert.match((await as(['hosts', 'release', 'files1'])).stdout, /host files1: no agent any more/);

  // The server's bank: health, upkeep kept across settings, a garbage collection followed to its end.
  assert.deepEqual((await as(['banks', '--json'])).json<{ name: string }[]>().map((b) => b.name), ['local']);
  const health = (await as(['banks', 'health', 'local', '--json'])).json<{ reachable: boolean; checkpoints: number; lastGc: unknown }>();
  assert.deepEqual([health.reachable, health.checkpoints, health.lastGc], [true, 0, null]);
  await as(['banks', 'set', 'local', '--gc-schedule', 'weekly on sun at 04:00', '--time-zone', 'Europe/Paris', '--max-operations', '3']);
  await as(['banks', 'set', 'local', '--verify-schedule', 'daily at 05:00']);
  await refused(['banks', 'set', 'local', '--max-operations', 'lots'], 2, /--max-operations lots: give a whole number/);
  const bank = (await api.get<{ items: { maintenance: Record<string, string>; maxOperations: number }[] }>('/v1/banks')).body.items[0]!;
  assert.deepEqual([bank.maintenance, bank.maxOperations], [{ gcSchedule: 'weekly on sun at 04:00', timeZone: 'Europe/Paris', verifySchedule: 'daily at 05:00' }, 3]);
  const gc = (await as(['banks', 'gc', 'local', '--wait', '--json'])).json<{ type: string; state: string }>();
  assert.deepEqual([gc.type, gc.state], ['gc', 'succeeded']);
  assert.match((await as(['banks', 'gc', 'local'])).stdout, /^operation \S+ \(gc\) queued: follow it with cairn operations watch /);
  assert.match((await as(['banks', 'health', 'local'])).stdout, /reachable\s+yes\n[^]*last gc\s+succeeded at /);

  // Quota: set in parts, shown with usage; a bad size changes nothing.
  await as(['tenants', 'quota', 'acme', '--max-stored', '10GiB', '--max-resources', '5']);
  await as(['tenants', 'quota', 'acme', '--max-checkpoints', '100']);
  await refused(['tenants', 'quota', 'acme', '--max-stored', '12XB', '--max-resources', 'none'], 2, /--max-stored 12XB: give a size such as 500MiB/);
  const quota = (await api.get<Quota>(`/v1/tenants/${acme.id}/quota`)).body.quota;
  assert.deepEqual(quota, { maxResources: 5, maxCheckpoints: 100, maxStoredBytes: 10 * 2 ** 30 });
  assert.match((await as(['tenants', 'quota', 'acme'])).stdout, /resources\s+0\s+5\ncheckpoints\s+0\s+100\nstored\s+0 B\s+10\.0 GiB\n/);

  // Usage: JSON, and the server's CSV as is.
  assert.deepEqual((await as(['usage', '--from', '2026-01-01', '--tenant', 'acme', '--json'])).json<unknown[]>(), []);
  assert.equal((await as(['usage', '--csv'])).stdout, 'hour,tenant_id,tenant,resource_id,resource,checkpoints,stored_bytes\n');
  await refused(['usage', '--from', 'last tuesday'], 2, /--from last tuesday: give a day \(2026-01-31\)/);

  // Alice, a member: operators' commands are refused; her tenant's members she may read, not change.
  const aliceEnv = { CAIRN_CONFIG_DIR: join(dir, 'alice-config'), CAIRN_PASSPHRASE: undefined, CAIRN_PASSWORD: ALICE_PASSWORD };
  await cairnOk(['login', server.url, '-u', 'alice'], { env: aliceEnv });
  await refused(['hosts'], 1, /only an operator may do this \[403\]/, aliceEnv);
  await refused(['banks', 'gc', 'local'], 1, /only an operator may do this \[403\]/, aliceEnv);
  await refused(['tenants', 'quota', 'acme', '--max-resources', '50'], 1, /only an operator may do this \[403\]/, aliceEnv);
  assert.match((await cairnOk(['tenants', 'members', 'acme'], { env: aliceEnv })).stdout, /^USERNAME\s+ROLE\s+USER ID\nalice\s+member\s/);
  await refused(['tenants', 'remove-member', 'acme', 'alice'], 1, /your role in this tenant is member; this needs admin \[403\]/, aliceEnv);
  assert.equal((await api.get<Quota>(`/v1/tenants/${acme.id}/quota`)).body.quota.maxResources, 5);

  await as(['tenants', 'remove-member', 'acme', 'alice']);
  assert.deepEqual((await api.get<{ items: unknown[] }>(`/v1/tenants/${acme.id}/members`)).body.items, []);
});

test('hosts release is refused, with the reason, while the host\'s agent is alive', async (t) => {
  const dir = await tempDir(t);
  const cluster = { DATABASE_URL: await freshDatabase(t), CAIRN_MASTER_KEY: randomBytes(32).toString('base64'), CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD };
  const server = await startServer(t, ['--data', join(dir, 'server')], cluster);
  const env = { CAIRN_CONFIG_DIR: join(dir, 'config'), CAIRN_PASSPHRASE: undefined, CAIRN_PASSWORD: ADMIN_PASSWORD };
  await cairnOk(['login', server.url, '-u', 'admin'], { env });
  await mkdir(join(dir, 'vols'));
  await cairnOk(['hosts', 'add', 'kvm3', '--kind', 'volumes', '--location', join(dir, 'vols')], { env });
  await startWorker(t, ['--data', join(dir, 'agent'), '--host', 'kvm3'], cluster);

  const [host] = (await cairnOk(['hosts', '--json'], { env })).json<{ name: string; agentSeenAt: string | null }[]>();
  assert.ok(host?.agentSeenAt, 'the agent said it serves kvm3');
  const r = await cairn(['hosts', 'release', 'kvm3'], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cairn: an agent of host kvm3 was heard from at \S+: stop it \(cairn worker --host kvm3\) and try again in 90 s \[409\]/);
  const api = await signIn(server.url, 'admin', ADMIN_PASSWORD);
  assert.ok((await api.get<{ items: { agentSeenAt: string | null }[] }>('/v1/hosts')).body.items[0]!.agentSeenAt, 'the host keeps its agent');
});
