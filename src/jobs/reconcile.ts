/** Brings the catalog in line with every bank it knows (on start, and by `cairn catalog rebuild`). */
import type { Kysely } from 'kysely';
import { bankSecret, listBanks } from '../catalog/banks.ts';
import { reconcileBank } from '../catalog/checkpoints.ts';
import type { Database } from '../catalog/schema.ts';
import type { MasterKey } from '../catalog/secrets.ts';
import type { Protection } from '../core/protection.ts';

export interface BankReconciliation { bank: string; imported: number; missing: number; error?: string }

/** A bank that cannot be read is reported, not fatal: the others are still reconciled. */
export async function reconcileBanks(db: Kysely<Database>, key: MasterKey, protection: Protection): Promise<BankReconciliation[]> {
  const out: BankReconciliation[] = [];
  for (const bank of await listBanks(db)) {
    try {
      const found = await protection.checkpoints({ id: bank.id, location: bank.location, passphrase: await bankSecret(db, key, bank.id) });
      out.push({ bank: bank.name, ...await reconcileBank(db, bank.id, found) });
    } catch (err) {
      out.push({ bank: bank.name, imported: 0, missing: 0, error: (err as Error).message });
    }
  }
  return out;
}
