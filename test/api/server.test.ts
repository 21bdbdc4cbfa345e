// `cairn server` on its embedded defaults: the operator account made on first start, sign-in and
// bearer tokens, errors as problem documents, the OpenAPI description, and one process per data directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cairn } from '../testkit/cli.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { call, startServer } from '../testkit/cairn-server.ts';

test('first start makes the admin account and shows its password once; tokens sign in, sign out and expire', async (t) => {
  const data = join(await tempDir(t), 'data');
  const first = await startServer(t, ['--data', data]);
  const password = /with the password (\S+)/.exec(first.output())?.[1];
  assert.ok(password, first.output());
  assert.deepEqual((await call(`${first.url}/healthz`)).body, { status: 'ok' });
  assert.deepEqual((await call(`${first.url}/readyz`)).body, { status: 'ok' });

  const wrong = await call(`${first.url}/v1/tokens`, { body: { username: 'admin', password: 'not it' } });
  assert.equal(wrong.status, 401);
  assert.match(wrong.type, /^application\/problem\+json/);
  assert.equal(wrong.body.detail, 'wrong username or password');
  const nobody = await call(`${first.url}/v1/tokens`, { body: { username: 'nobody', password } });
  assert.equal(nobody.status, 401, 'an unknown user is answered like a wrong password');
  const invalid = await call(`${first.url}/v1/tokens`, { body: { username: 'admin' } });
  assert.equal(invalid.status, 400);
  assert.match(String(invalid.body.detail), /password/);

  const signedIn = await call(`${first.url}/v1/tokens`, { body: { username: 'admin', password } });
  assert.equal(signedIn.status, 201);
  const token = String(signedIn.body.token);
  const me = await call(`${first.url}/v1/me`, { token });
  assert.equal(me.status, 200);
  assert.equal(me.body.username, 'admin');
  assert.equal(me.body.operator, true);
  const anonymous = await call(`${first.url}/v1/me`);
  assert.equal(anonymous.status, 401);
  assert.match(String(anonymous.body.detail), /bearer token/);
  assert.equal((await call(`${first.url}/v1/me`, { token: `${token}x` })).status, 401);

  // Revoked: the token stops working at once.
  assert.equal((await call(`${first.url}/v1/tokens/${String(signedIn.body.id)}`, { method: 'DELETE', token })).status, 204);
  assert.equal((await call(`${first.url}/v1/me`, { token })).status, 401);
  assert.equal(await first.stop(), 0, 'SIGTERM ends the server cleanly');

  // The second start keeps the account and shows no password; the old one still signs in.
  const second = await startServer(t, ['--data', data]);
  assert.doesNotMatch(second.output(), /password/);
  assert.equal((await call(`${second.url}/v1/tokens`, { body: { username: 'admin', password } })).status, 201);
  const short = await call(`${second.url}/v1/tokens`, { body: { username: 'admin', password, ttlSeconds: 60 } });
  assert.ok(Date.parse(String(short.body.expiresAt)) - Date.now() <= 60_000);
});

test('a second process on the same data directory is refused with a clear message, and the first keeps serving', async (t) => {
  const data = join(await tempDir(t), 'data');
  const first = await startServer(t, ['--data', data], { CAIRN_ADMIN_PASSWORD: 'a long admin passphrase' });
  assert.match(first.output(), /password in CAIRN_ADMIN_PASSWORD/);
  assert.doesNotMatch(first.output(), /a long admin passphrase/, 'the password is never printed');
  const second = await cairn(['server', '--data', data, '--listen', '127.0.0.1:0']);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /another Cairn process \(pid \d+\) holds the data directory/);
  assert.equal((await call(`${first.url}/v1/tokens`, { body: { username: 'admin', password: 'a long admin passphrase' } })).status, 201);
  const bad = await cairn(['server', '--data', data, '--listen', 'localhost']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--listen localhost: give host:port/);
});

test('the API describes itself in OpenAPI 3.1, and unknown paths answer with a problem document', async (t) => {
  const server = await startServer(t, ['--data', join(await tempDir(t), 'data')], { CAIRN_ADMIN_PASSWORD: 'pw for the docs test' });
  const doc = await call(`${server.url}/v1/openapi.json`);
  assert.equal(doc.status, 200);
  assert.match(String(doc.body.openapi), /^3\.1\./);
  const paths = doc.body.paths as Record<string, Record<string, unknown>>;
  assert.ok(paths['/v1/tokens']?.post && paths['/v1/me']?.get && paths['/v1/tokens/{id}']?.delete, Object.keys(paths).join(', '));
  const page = await fetch(`${server.url}/v1/docs/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const missing = await call(`${server.url}/v1/nothing-here`);
  assert.equal(missing.status, 404);
  assert.match(missing.type, /^application\/problem\+json/);
});
