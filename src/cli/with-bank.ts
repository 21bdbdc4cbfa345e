/** Opens a bank (and a codec pool when the command moves data) for one command, and always closes them. */
import type { Bank } from '../bank/bank.ts';
import { CodecPool } from '../mover/codec-pool.ts';
import { openBank, type BankOptions, type CliEnvironment } from './context.ts';

export async function withBank<T>(env: CliEnvironment, opts: BankOptions, fn: (bank: Bank) => Promise<T>): Promise<T> {
  const bank = await openBank(env, opts);
  try {
    return await fn(bank);
  } finally {
    await bank.storage.close();
  }
}

export async function withBankAndPool<T>(env: CliEnvironment, opts: BankOptions, fn: (bank: Bank, pool: CodecPool) => Promise<T>): Promise<T> {
  // Started first: its workers load while the passphrase is stretched (codec-pool.ts).
  const pool = new CodecPool();
  try {
    return await withBank(env, opts, (bank) => {
      pool.unlock(bank.keys);
      return fn(bank, pool);
    });
  } finally {
    await pool.close();
  }
}
