/** cairn bank init | info | passwd */
import { access, readFile, writeFile } from 'node:fs/promises';
import { CairnError } from '../../core/errors.ts';
import { Bank } from '../../bank/bank.ts';
import { generateKeyFile, type Secret } from '../../bank/keys.ts';
import { openStorage, resolvePassphrase, type BankOptions, type CliEnvironment } from '../context.ts';
import { formatBytes, printJson, table } from '../output.ts';
import { promptHidden } from '../prompt.ts';
import { withBank } from '../with-bank.ts';

export interface InitOptions extends BankOptions {
  json?: boolean;
  /** Also create a key-file slot; the file is generated when it does not exist. */
  keyFile?: string;
  passphrase?: boolean;
}

export async function bankInit(env: CliEnvironment, opts: InitOptions): Promise<void> {
  const secrets: Secret[] = [];
  let generatedKeyFile = false;
  if (opts.passphrase !== false) {
    const passphrase = env.passphrase !== undefined || opts.passphraseFile
      ? await resolvePassphrase(env, opts, 'New bank passphrase')
      : await askNewPassphrase(env, 'New bank passphrase');
    secrets.push({ passphrase });
  }
  if (opts.keyFile) {
    const exists = await access(opts.keyFile).then(() => true, () => false);
    if (!exists) {
      await writeFile(opts.keyFile, generateKeyFile(), { mode: 0o600, flag: 'wx' });
      generatedKeyFile = true;
    }
    secrets.push({ keyFile: await readFile(opts.keyFile) });
  }
  if (secrets.length === 0) throw new CairnError('bad-input', 'a bank needs a passphrase or a key file: drop --no-passphrase or add --key-file <path>');
  const storage = await openStorage(env, opts);
  try {
    const bank = await Bank.init(storage, secrets);
    const info = { bankId: bank.descriptor.bankId, location: storage.location, formatVersion: bank.descriptor.version, keySlots: bank.descriptor.keySlots.length, ...(opts.keyFile ? { keyFile: opts.keyFile, keyFileGenerated: generatedKeyFile } : {}) };
    if (opts.json) printJson(env, info);
    else {
      env.stdout.write(`created bank ${info.bankId} at ${info.location}\n`);
      if (generatedKeyFile) env.stdout.write(`wrote a new key file to ${opts.keyFile}: keep a copy somewhere safe, it unlocks the bank\n`);
    }
  } finally {
    await storage.close();
  }
}

export async function bankInfo(env: CliEnvironment, opts: BankOptions & { json?: boolean }): Promise<void> {
  const storage = await openStorage(env, opts);
  try {
    const d = await Bank.describe(storage);
    let packs = 0, packBytes = 0, checkpoints = 0, indexes = 0;
    for await (const o of storage.list('')) {
      if (o.key.startsWith('packs/')) { packs++; packBytes += o.size; }
      else if (o.key.startsWith('checkpoints/')) checkpoints++;
      else if (o.key.startsWith('index/')) indexes++;
    }
    const slots = d.keySlots.map((s) => ({ id: s.id, kind: s.kind, createdAt: s.createdAt }));
    const info = { location: storage.location, format: d.format, formatVersion: d.version, bankId: d.bankId, createdAt: d.createdAt, chunking: d.chunking, keySlots: slots, checkpoints, packs, packBytes, indexObjects: indexes };
    if (opts.json) return printJson(env, info);
    env.stdout.write(table([
      ['location', info.location], ['bank id', d.bankId], ['format', `${d.format} v${d.version}`], ['created', d.createdAt],
      ['image blocks', formatBytes(d.chunking.imageBlockSize)],
      ['stream chunks', `${formatBytes(d.chunking.cdc.minSize)} / ${formatBytes(d.chunking.cdc.avgSize)} / ${formatBytes(d.chunking.cdc.maxSize)} (min/avg/max)`],
      ['packs', `${packs} (${formatBytes(packBytes)}), target ${formatBytes(d.chunking.packSize)}`],
      ['checkpoints', String(checkpoints)],
      ['key slots', slots.map((s) => `${s.kind} ${s.id}`).join(', ')],
    ]));
  } finally {
    await storage.close();
  }
}

/** Replaces the passphrase slot that the current passphrase opens; no data object is rewritten. */
export async function bankPasswd(env: CliEnvironment, opts: BankOptions & { newPassphraseFile?: string; json?: boolean }): Promise<void> {
  await withBank(env, opts, async (bank) => {
    const next = opts.newPassphraseFile
      ? await resolvePassphrase(env, { passphraseFile: opts.newPassphraseFile }, 'New passphrase')
      : env.newPassphrase ?? await askNewPassphrase(env, 'New passphrase');
    const slot = bank.slot.kind === 'passphrase' ? await bank.replaceSlot({ passphrase: next }) : await bank.addSlot({ passphrase: next });
    if (opts.json) printJson(env, { bankId: bank.descriptor.bankId, slot: slot.id, replaced: bank.slot.kind === 'passphrase' ? bank.slot.id : null });
    else env.stdout.write(bank.slot.kind === 'passphrase' ? 'passphrase changed\n' : 'passphrase slot added\n');
  });
}

async function askNewPassphrase(env: CliEnvironment, question: string): Promise<string> {
  if (!(env.stdin.isTTY && env.stderr.isTTY)) {
    throw new CairnError('bad-input', 'no new passphrase: set CAIRN_NEW_PASSPHRASE (or CAIRN_PASSPHRASE for init), pass a passphrase file, or run on a terminal');
  }
  const first = await promptHidden(env, `${question}: `);
  const second = await promptHidden(env, `${question} (again): `);
  if (first !== second) throw new CairnError('bad-input', 'the two passphrases differ; nothing was changed');
  if (first.length === 0) throw new CairnError('bad-input', 'the passphrase is empty; nothing was changed');
  return first;
}
