/** Sites and the banks attached to them, with their passphrases sealed (secrets.ts). */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CairnError } from '../core/errors.ts';
import type { Database } from './schema.ts';
import type { MasterKey } from './secrets.ts';
import { checkTimeZone, cronOf } from '../core/schedule.ts';

export interface SiteRow { id: string; name: string; createdAt: Date }
/**
 * A bank's upkeep: garbage collection and verification on schedules (cron or calendar forms, in
 * `timeZone`). Verification checks every available checkpoint, or with `samplePercent` that share of
 * them each run, those verified longest ago (or never) first, none verified in the last `reverifyDays`.
 */
export interface Maintenance { gcSchedule?: string; verifySchedule?: string; timeZone?: string; samplePercent?: number; reverifyDays?: number }

export interface BankRow {
  id: string; name: string; siteId: string; location: string; bankUuid: string; createdAt: Date; maintenance: Maintenance;
  /** Operations running on it at once, across the cluster; null: no limit. */
  maxOperations: number | null;
}

export async function createSite(db: Kysely<Database>, name: string): Promise<SiteRow> {
  try {
    const r = await db.insertInto('sites').values({ id: randomUUID(), name }).returning(['id', 'name', 'created_at']).executeTakeFirstOrThrow();
    return { id: r.id, name: r.name, createdAt: r.created_at };
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new CairnError('bad-input', `a site named ${name} exists already`);
    throw err;
  }
}

export async function listSites(db: Kysely<Database>): Promise<SiteRow[]> {
  return (await db.selectFrom('sites').select(['id', 'name', 'created_at']).orderBy('name').execute()).map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}

export async function addBank(db: Kysely<Database>, key: MasterKey, bank: { name: string; siteId: string; location: string; bankUuid: string; passphrase: string }): Promise<BankRow> {
  const id = randomUUID();
  try {
    const r = await db.insertInto('banks').values({
      id, name: bank.name, site_id: bank.siteId, location: bank.location, bank_uuid: bank.bankUuid, secret_sealed: key.seal(bank.passphrase, `bank ${id}`),
    }).returning(['created_at']).executeTakeFirstOrThrow();
    return { id, name: bank.name, siteId: bank.siteId, location: bank.location, bankUuid: bank.bankUuid, createdAt: r.created_at, maintenance: {}, maxOperations: null };
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new CairnError('bad-input', `a bank named ${bank.name} exists already`);
    if ((err as { code?: string }).code === '23503') throw new CairnError('bad-input', `there is no site ${bank.siteId}`);
    throw err;
  }
}

const bankColumns = ['id', 'name', 'site_id', 'location', 'bank_uuid', 'created_at', 'maintenance', 'max_operations'] as const;
function bankOf(r: { id: string; name: string; site_id: string; location: string; bank_uuid: string; created_at: Date; maintenance: Maintenance; max_operations: number | null }): BankRow {
  return { id: r.id, name: r.name, siteId: r.site_id, location: r.location, bankUuid: r.bank_uuid, createdAt: r.created_at, maintenance: r.maintenance, maxOperations: r.max_operations };
}

export async function listBanks(db: Kysely<Database>): Promise<BankRow[]> {
  return (await db.selectFrom('banks').select(bankColumns).orderBy('name').execute()).map(bankOf);
}

export async function findBank(db: Kysely<Database>, id: string): Promise<BankRow | undefined> {
  const r = await db.selectFrom('banks').select(bankColumns).where('id', '=', id).executeTakeFirst();
  return r && bankOf(r);
}

/** What a tenant's member may know of a bank, to choose one for a plan: never its location, uuid or secret. */
export interface BankChoice { id: string; name: string; siteName: string }

export async function listBankChoices(db: Kysely<Database>): Promise<BankChoice[]> {
  const rows = await db.selectFrom('banks as b').innerJoin('sites as s', 's.id', 'b.site_id').select(['b.id', 'b.name', 's.name as site_name']).orderBy('b.name').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, siteName: r.site_name }));
}

/** The bank a plan or a backup gets when it names none: the only one, or the one named local; undefined when neither is. */
export function defaultBankOf<B extends { id: string; name: string }>(banks: B[]): B | undefined {
  return banks.length === 1 ? banks[0] : banks.find((b) => b.name === 'local');
}

export async function setMaintenance(db: Kysely<Database>, id: string, m: Maintenance): Promise<void> {
  if (m.gcSchedule) cronOf(m.gcSchedule);
  if (m.verifySchedule) cronOf(m.verifySchedule);
  if (m.timeZone) checkTimeZone(m.timeZone);
  const r = await db.updateTable('banks').set({ maintenance: JSON.stringify(m) }).where('id', '=', id).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new CairnError('not-found', `there is no bank ${id}`);
}

export async function setBankLimit(db: Kysely<Database>, id: string, maxOperations: number | null): Promise<void> {
  const r = await db.updateTable('banks').set({ max_operations: maxOperations }).where('id', '=', id).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new CairnError('not-found', `there is no bank ${id}`);
}

/** A bank's passphrase, for the code that opens it (never for a response). */
export async function bankSecret(db: Kysely<Database>, key: MasterKey, id: string): Promise<string> {
  const r = await db.selectFrom('banks').select('secret_sealed').where('id', '=', id).executeTakeFirst();
  if (!r) throw new CairnError('not-found', `there is no bank ${id}`);
  return key.open(r.secret_sealed, `bank ${id}`);
}
