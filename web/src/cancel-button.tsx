/**
 * Cancel an operation (POST /v1/operations/{id}/cancel), after an explicit confirmation: a queued one
 * stops at once, a running one at its next step, and what it has done so far is not kept. Focus moves
 * into the confirmation and back, so it works from the keyboard.
 */
import { useEffect, useRef, useState } from 'react';
import type { Client } from './client.ts';
import { TYPE_NAMES } from './format.ts';
import type { Operation } from './types.ts';

export function CancelButton({ client, operation, onCancelled }: { client: Client; operation: Operation; onCancelled: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const keep = useRef<HTMLButtonElement>(null);
  const open = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);

  useEffect(() => {
    if (confirming) keep.current?.focus();
    else if (wasConfirming.current) open.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  async function cancel() {
    setPending(true);
    setError(undefined);
    try {
      await client.post(`/v1/operations/${encodeURIComponent(operation.id)}/cancel`);
      setConfirming(false);
      onCancelled();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  const what = TYPE_NAMES[operation.type].toLowerCase();
  if (!confirming) {
    return <button type="button" className="danger" ref={open} onClick={() => setConfirming(true)}>Cancel…</button>;
  }
  return (
    <div className="confirm" role="group" aria-labelledby="cancel-question" onKeyDown={(e) => { if (e.key === 'Escape') setConfirming(false); }}>
      <p id="cancel-question">
        Cancel this {what}? {operation.state === 'queued' ? 'It has not started and will not.' : 'It stops at its next step; what it made so far is not kept.'}
      </p>
      {error && <p className="error" role="alert">Cannot cancel: {error}</p>}
      <button type="button" className="danger" disabled={pending} onClick={() => void cancel()}>{pending ? 'Cancelling…' : `Yes, cancel the ${what}`}</button>
      <button type="button" className="quiet" ref={keep} disabled={pending} onClick={() => setConfirming(false)}>No, keep it</button>
    </div>
  );
}
