/**
 * The port through which the control plane creates and checks banks, without depending on the bank
 * format's code (the composition root wires in the implementation).
 */
export interface BankService {
  /**
   * Opens the bank at `location` with `passphrase` (or, with `create` and nothing there, makes a new
   * one, which `recoveryKey` also opens, as a key file); returns its own id. A wrong passphrase or a
   * location that holds no bank is a CairnError that says so.
   */
  attach(location: string, passphrase: string, create: boolean, recoveryKey?: Uint8Array): Promise<{ bankUuid: string; created: boolean }>;
  /** The id of the bank at `location`, read from its descriptor (no key needed). */
  identify(location: string): Promise<string>;
  /** Opens the bank with a key file and adds a slot for `passphrase` (a catalog's own); returns its id. */
  enroll(location: string, keyFile: Uint8Array, passphrase: string): Promise<{ bankUuid: string }>;
}
