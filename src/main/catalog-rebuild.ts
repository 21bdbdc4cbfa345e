/**
 * `cairn catalog rebuild --bank <location>`: attaches a bank to the catalog (a lost catalog made anew,
 * or a bank another site wrote) and imports its checkpoints from their manifests. Run with the server
 * stopped when the catalog is the embedded one (it is held by one process).
 */
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { addBank, bankSecret, createSite, listBanks, listSites } from '../catalog/banks.ts';
import { giveUnownedCheckpoints, reconcileBank } from '../catalog/checkpoints.ts';
import { openCatalog } from '../catalog/catalog.ts';
import { findTenant } from '../catalog/tenants.ts';
import { CairnError } from '../core/errors.ts';
import type { RebuildOptions } from '../cli/program.ts';
import { bankService } from './bank-service.ts';
import { protection } from './protection.ts';
import { loadMasterKey, type ServerEnvironment } from './server.ts';

export async function rebuildCatalog(opts: RebuildOptions, secret: { passphrase: string } | { keyFile: Uint8Array }, env: ServerEnvironment): Promise<void> {
  const dataDir = resolve(opts.data ?? env.dataDir ?? 'cairn-data');
  const catalog = await openCatalog(env.databaseUrl ? { databaseUrl: env.databaseUrl } : { dataDir });
  try {
    const db = catalog.db;
    if (opts.tenant && !(await findTenant(db, opts.tenant))) throw new CairnError('bad-input', `there is no tenant ${opts.tenant} in this catalog`);
    const key = await loadMasterKey(dataDir, env.masterKey);
    const banks = bankService(env.s3);
    const bankUuid = await banks.identify(opts.bank);
    let bank = (await listBanks(db)).find((b) => b.bankUuid === bankUuid);
    if (!bank) {
      // With a key file, the bank gets a passphrase slot of its own for this catalog (sealed in it, as every bank's).
      const passphrase = 'keyFile' in secret ? randomBytes(32).toString('base64url') : secret.passphrase;
      if ('keyFile' in secret) await banks.enroll(opts.bank, secret.keyFile, passphrase);
      else await banks.attach(opts.bank, passphrase, false);
      const sites = await listSites(db);
      const site = opts.site ? sites.find((s) => s.name === opts.site || s.id === opts.site) ?? await createSite(db, opts.site) : sites[0] ?? await createSite(db, 'local');
      bank = await addBank(db, key, { name: opts.name ?? `bank-${bankUuid.slice(0, 8)}`, siteId: site.id, location: opts.bank, bankUuid, passphrase });
    }
    const found = await protection(env.s3).checkpoints({ id: bank.id, location: opts.bank, passphrase: await bankSecret(db, key, bank.id) });
    const { imported, missing } = await reconcileBank(db, bank.id, found);
    const given = opts.tenant ? await giveUnownedCheckpoints(db, bank.id, opts.tenant) : 0;
    const summary = { bank: bank.name, bankId: bank.id, checkpoints: found.length, imported, missing, ...(opts.tenant ? { givenToTenant: given } : {}) };
    if (opts.json) {
      env.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      return;
    }
    env.stdout.write(`bank ${bank.name} (${opts.bank}): ${found.length} checkpoint(s) in the bank, ${imported} imported, ${missing} marked missing` +
      `${opts.tenant ? `, ${given} given to tenant ${opts.tenant}` : ''}\n`);
  } finally {
    await catalog.close();
  }
}
