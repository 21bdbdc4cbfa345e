/**
 * Errors that reach a user carry a stable `code` and a message that says what to do.
 * Mapping to exit codes or HTTP statuses happens at the edge (cli/, api/), never here.
 */
export type ErrorCode =
  | 'bad-input'          // the caller passed something invalid; nothing was changed
  | 'not-found'          // a named thing (object, checkpoint, path) does not exist
  | 'not-a-bank'         // the location holds no Cairn bank descriptor
  | 'bank-exists'        // init on a location that already holds a bank
  | 'format-too-new'     // the bank was written by a newer Cairn
  | 'format-too-old'     // the bank was written in a format this Cairn no longer reads
  | 'wrong-key'          // no key slot opens with the given passphrase or key file
  | 'ambiguous'          // a prefix matched more than one checkpoint
  | 'corrupt'            // data failed its integrity check
  | 'storage'            // the storage backend failed
  | 'source'             // what is being backed up or restored to (an NBD server, a hypervisor) failed or went away
  | 'locked'             // another process holds what we need
  | 'cancelled'
  | 'quota'              // the tenant's quota would be exceeded; nothing was done
  | 'denied'             // not signed in, or not allowed to do this
  | 'unsupported';

export class CairnError extends Error {
  readonly code: ErrorCode;
  /** True when retrying the same call may succeed (network, throttling, timeouts). */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; transient?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CairnError';
    this.code = code;
    this.transient = options.transient ?? false;
  }
}

export function isCairnError(err: unknown, code?: ErrorCode): err is CairnError {
  return err instanceof CairnError && (code === undefined || err.code === code);
}

export function isNotFound(err: unknown): boolean {
  return isCairnError(err, 'not-found');
}
