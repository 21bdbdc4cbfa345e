// Opens a bank made by the CLI directly, for assertions the CLI does not print (chunk counts, objects).
import { Bank } from '../../src/bank/bank.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { PASSPHRASE } from './cli.ts';

export async function openTestBank(path: string): Promise<Bank> {
  return Bank.open(new LocalBackend(path), { passphrase: PASSPHRASE });
}
