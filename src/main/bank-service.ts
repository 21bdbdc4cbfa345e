/** BankService on the bank format's code: init or open a bank at a location. */
import { Bank } from '../bank/bank.ts';
import type { BankService } from '../core/bank-service.ts';
import { CairnError } from '../core/errors.ts';
import { openBackend, parseBankLocation, type S3Options } from '../storage/open-backend.ts';

export function bankService(s3: S3Options): BankService {
  return {
    async attach(location, passphrase, create, recoveryKey) {
      const storage = await openBackend(parseBankLocation(location, s3));
      try {
        const exists = await Bank.describe(storage).then(() => true, (err: unknown) => {
          if (err instanceof CairnError && err.code === 'not-a-bank') return false;
          throw err;
        });
        if (!exists && !create) throw new CairnError('not-a-bank', `${location} holds no Cairn bank: create one there with "create": true, or name the location of an existing bank`);
        const bank = exists ? await Bank.open(storage, { passphrase })
          : await Bank.init(storage, [{ passphrase }, ...(recoveryKey ? [{ keyFile: recoveryKey }] : [])]);
        return { bankUuid: bank.descriptor.bankId, created: !exists };
      } finally {
        await storage.close();
      }
    },

    async identify(location) {
      const storage = await openBackend(parseBankLocation(location, s3));
      try {
        return (await Bank.describe(storage)).bankId;
      } finally {
        await storage.close();
      }
    },

    async enroll(location, keyFile, passphrase) {
      const storage = await openBackend(parseBankLocation(location, s3));
      try {
        const bank = await Bank.open(storage, { keyFile });
        await bank.addSlot({ passphrase });
        return { bankUuid: bank.descriptor.bankId };
      } finally {
        await storage.close();
      }
    },
  };
}
