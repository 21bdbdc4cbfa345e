/**
 * `cairn server`: the catalog (PGlite in the data directory, or PostgreSQL by DATABASE_URL), the
 * operator account on first start, and the API, until SIGINT or SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { addBank, createSite, listBanks, listSites } from '../catalog/banks.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { MasterKey } from '../catalog/secrets.ts';
import type { BankService } from '../core/bank-service.ts';
import type { S3Options } from '../storage/open-backend.ts';
import { bankService } from './bank-service.ts';
import { pluginCatalog } from './plugin-catalog.ts';
import { protection } from './protection.ts';
import { Operations } from '../jobs/operations-service.ts';
import type { QueueSettings } from '../jobs/queue.ts';
import { reconcileBanks } from '../jobs/reconcile.ts';
import { buildApp } from '../api/app.ts';
import { ADMIN, ensureAdmin } from '../catalog/access.ts';
import { openCatalog } from '../catalog/catalog.ts';
import { CairnError } from '../core/errors.ts';
import type { ServeOptions } from '../cli/program.ts';

export interface ServerEnvironment {
  stdout: NodeJS.WritableStream;
  /** CAIRN_DATA, DATABASE_URL, CAIRN_ADMIN_PASSWORD */
  dataDir?: string;
  databaseUrl?: string;
  adminPassword?: string;
  /** CAIRN_MASTER_KEY: base64 of 32 bytes; else the data directory's master.key */
  masterKey?: string;
  s3: S3Options;
  version: string;
  /** Operations this node runs at once (CAIRN_WORKERS, default 2). */
  workers?: number;
  /** How fast an abandoned job is noticed and retried (tests shorten it). */
  queueSettings?: QueueSettings;
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new CairnError('bad-input', `--listen ${text}: give host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080 ([::1]:8080 for IPv6)`);
  return { host: m[1] ?? m[2]!, port };
}

export async function runServer(opts: ServeOptions, env: ServerEnvironment): Promise<void> {
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8080');
  const dataDir = resolve(opts.data ?? env.dataDir ?? 'cairn-data');
  const catalog = await openCatalog(env.databaseUrl ? { databaseUrl: env.databaseUrl } : { dataDir });
  try {
    const admin = await ensureAdmin(catalog.db, env.adminPassword);
    if (admin.generatedPassword) {
      env.stdout.write(`created the operator account '${ADMIN}' with the password ${admin.generatedPassword}\n` +
        '  it is shown this once: keep it, or set CAIRN_ADMIN_PASSWORD before the first start next time\n');
    } else if (admin.created) {
      env.stdout.write(`created the operator account '${ADMIN}' with the password in CAIRN_ADMIN_PASSWORD\n`);
    }
    const masterKey = await loadMasterKey(dataDir, env.masterKey);
    const banks = bankService(env.s3);
    await ensureLocalBank(catalog, masterKey, banks, join(dataDir, 'bank'), env.masterKey ? 'CAIRN_MASTER_KEY' : join(dataDir, 'master.key'), env.stdout);
    const work = protection(env.s3);
    for (const r of await reconcileBanks(catalog.db, masterKey, work)) {
      if (r.error) env.stdout.write(`warning: cannot read bank ${r.bank} to reconcile the catalog with it: ${r.error}\n`);
      else if (r.imported || r.missing) env.stdout.write(`bank ${r.bank}: imported ${r.imported} checkpoint(s) the catalog lacked, marked ${r.missing} the bank no longer holds as missing\n`);
    }
    const operations = await startOperations(catalog, masterKey, env, 2);
    const consoleDir = resolve(import.meta.dirname, '..', '..', 'web', 'dist');
    const app = await buildApp({ catalog, masterKey, banks, plugins: pluginCatalog(), operations, version: env.version, logger: { level: 'warn' }, consoleDir });
    try {
      const address = await app.listen({ host, port });
      const built = existsSync(join(consoleDir, 'index.html'));
      if (!built) env.stdout.write(`warning: the web console is not built (${consoleDir} is missing): run npm run build, then restart\n`);
      env.stdout.write(`cairn server listening on ${address} (catalog: ${catalog.description}); API description at ${address}/v1/openapi.json${built ? `; web console at ${address}/` : ''}\n`);
      await stopSignal();
    } finally {
      await app.close();
      await operations.stop();
    }
  } finally {
    await catalog.close();
  }
}

/** This node's workers (`concurrency` unless CAIRN_WORKERS says otherwise), the sweep and the schedules. */
export function startOperations(catalog: Catalog, masterKey: MasterKey, env: ServerEnvironment, concurrency: number, agentOf: string[] = []): Promise<Operations> {
  return Operations.start(catalog, {
    agentOf,
    masterKey, protection: protection(env.s3), concurrency: env.workers ?? concurrency, node: `${hostname()}:${process.pid}`,
    removePartial: (path) => rm(path, { force: true, recursive: true }),
    ...(env.queueSettings ? { settings: env.queueSettings } : {}),
  });
}

export function stopSignal(): Promise<void> {
  return new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/**
 * The key that seals the secrets the catalog keeps: CAIRN_MASTER_KEY, else `master.key` in the data
 * directory (made on first start, mode 0600). Nodes sharing a PostgreSQL catalog must share it.
 */
export async function loadMasterKey(dataDir: string, fromEnv: string | undefined): Promise<MasterKey> {
  if (fromEnv) return new MasterKey(Buffer.from(fromEnv, 'base64'));
  const path = join(dataDir, 'master.key');
  const existing = await readFile(path).catch(() => undefined);
  if (existing) return new MasterKey(existing);
  await mkdir(dataDir, { recursive: true });
  const key = randomBytes(32);
  await writeFile(path, key, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return new MasterKey(key);
}

/** The embedded default: a site "local" and a bank "local" in the data directory, made on first start. */
async function ensureLocalBank(catalog: Catalog, key: MasterKey, banks: BankService, location: string, keyFile: string, out: NodeJS.WritableStream): Promise<void> {
  if ((await listBanks(catalog.db)).length > 0) return;
  const site = (await listSites(catalog.db))[0] ?? await createSite(catalog.db, 'local');
  const passphrase = randomBytes(32).toString('base64url');
  const existing = await banks.identify(location).catch((err: unknown) => {
    if (err instanceof CairnError && err.code === 'not-a-bank') return undefined;
    throw err;
  });
  if (existing) {
    // A catalog made anew beside the bank of an earlier one (it was lost): the master key opens the bank.
    const { bankUuid } = await banks.enroll(location, key.bytes(), passphrase).catch((err: unknown) => {
      if (err instanceof CairnError && err.code === 'wrong-key') {
        throw new CairnError('wrong-key', `${location} holds a bank this server's master key (${keyFile}) does not open: restore that key file, or move the bank away`);
      }
      throw err;
    });
    await addBank(catalog.db, key, { name: 'local', siteId: site.id, location, bankUuid, passphrase });
    out.write(`attached the bank already in ${location} as 'local', opened with the master key ${keyFile}\n`);
    return;
  }
  // The master key opens the bank too: with it alone, the CLI restores, and a lost catalog is rebuilt.
  const { bankUuid } = await banks.attach(location, passphrase, true, key.bytes());
  // Another node of the cluster starting at the same moment may have attached its own first.
  const added = await addBank(catalog.db, key, { name: 'local', siteId: site.id, location, bankUuid, passphrase }).catch(async (err: unknown) => {
    if ((await listBanks(catalog.db)).some((b) => b.name === 'local')) return undefined;
    throw err;
  });
  if (!added) return;
  out.write(`created the bank 'local' in ${location}: its passphrase is sealed in the catalog, and the master key ${keyFile} opens it too (keep a copy of that file elsewhere)\n`);
}
