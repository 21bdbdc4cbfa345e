/**
 * The port through which the control plane creates and checks banks, without depending on the bank
 * format's code (the composition root wires in the implementation).
 */
export interface BankService {
  /**
   * Opens the bank at `location` with `passphrase` (or, with `create` and nothing there, makes a new
   * one); returns its own id. A wrong passphrase or a location that holds no bank is a CairnError
   * that says so.
   */
  attach(location: string, passphrase: string, create: boolean): Promise<{ bankUuid: string; created: boolean }>;
}
