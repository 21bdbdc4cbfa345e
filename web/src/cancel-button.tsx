/**
 * Cancel an operation (POST /v1/operations/{id}/cancel), after an explicit confirmation: a queued one
 * stops at once, a running one at its next step, and what it has done so far is not kept.
 */
import type { Client } from './client.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { TYPE_NAMES } from './format.ts';
import type { Operation } from './types.ts';

export function CancelButton({ client, operation, onCancelled }: { client: Client; operation: Operation; onCancelled: () => void }) {
  const what = TYPE_NAMES[operation.type].toLowerCase();
  return (
    <ConfirmButton
      label="Cancel…"
      question={`Cancel this ${what}? ${operation.state === 'queued' ? 'It has not started and will not.' : 'It stops at its next step; what it made so far is not kept.'}`}
      yes={`Yes, cancel the ${what}`}
      no="No, keep it"
      failure="Cannot cancel"
      action={async () => {
        await client.post(`/v1/operations/${encodeURIComponent(operation.id)}/cancel`);
        onCancelled();
      }}
    />
  );
}
