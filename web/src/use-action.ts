/**
 * A button's call to the API: whether it is under way (to disable the button and say so) and the
 * API's refusal in its own words, cleared when the call is tried again.
 */
import { useState } from 'react';

export function useAction(): { pending: boolean; error: string | undefined; run: (call: () => Promise<void>) => Promise<void> } {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  async function run(call: () => Promise<void>): Promise<void> {
    setPending(true);
    setError(undefined);
    try {
      await call();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }
  return { pending, error, run };
}
