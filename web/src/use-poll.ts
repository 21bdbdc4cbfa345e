/**
 * Loads data now and again after a delay that may depend on what came back (short while an operation
 * runs, long when all is quiet). A failed refresh keeps the last good data and reports the error, so a
 * page does not go blank when the server blinks; the next refresh tries again.
 */
import { useCallback, useEffect, useState } from 'react';

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** When the data last came back. */
  updatedAt: Date | undefined;
  /** Loads again now (after the page changed something), then on the usual delays. */
  refresh: () => void;
}

export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, delayAfter: (data: T | undefined) => number): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({ data: undefined, error: undefined, updatedAt: undefined });
  const [round, setRound] = useState(0);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last: T | undefined;
    const tick = async (): Promise<void> => {
      try {
        last = await load(abort.signal);
        setState({ data: last, error: undefined, updatedAt: new Date() });
      } catch (err) {
        if (abort.signal.aborted) return;
        setState((s) => ({ ...s, error: err instanceof Error ? err : new Error(String(err)) }));
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void tick(), delayAfter(last));
    };
    void tick();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [load, delayAfter, round]);
  return { ...state, refresh };
}
