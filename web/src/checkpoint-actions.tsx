/**
 * What a member does with one checkpoint: restore it (the wizard), pin or unpin it
 * (PATCH /v1/checkpoints/{id}: retention never expires a pinned one), and delete it from its bank
 * after confirming (DELETE, an operation, linked once started). Only an available checkpoint restores;
 * one being made cannot be deleted (the API refuses: cancel its backup instead).
 */
import { useState } from 'react';
import type { Client } from './client.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { formatTime } from './format.ts';
import { Link } from './link.tsx';
import { useAction } from './use-action.ts';
import type { Checkpoint, Operation } from './types.ts';

export function CheckpointActions({ client, checkpoint: c, labelId, onChanged }: { client: Client; checkpoint: Checkpoint; labelId: string; onChanged: () => void }) {
  const { pending, error, run } = useAction();
  const [deletion, setDeletion] = useState<Operation | undefined>();
  const id = encodeURIComponent(c.id);

  const pin = (pinned: boolean) => run(async () => {
    await client.patch(`/v1/checkpoints/${id}`, { pinned });
    onChanged();
  });

  return (
    <div className="checkpoint-actions">
      {c.status === 'available' && <Link className="button" to={`/checkpoints/${id}/restore`} aria-describedby={labelId}>Restore…</Link>}
      {c.status !== 'deleting' && (
        <button type="button" className="quiet" disabled={pending} aria-describedby={labelId} onClick={() => void pin(!c.pinned)}>{c.pinned ? 'Unpin' : 'Pin'}</button>
      )}
      {c.status !== 'protecting' && c.status !== 'deleting' && !deletion && (
        <ConfirmButton
          label="Delete…"
          describedBy={labelId}
          question={`Delete the checkpoint of ${formatTime(c.createdAt)} from its bank? It can no longer be restored${c.pinned ? ', though it is pinned' : ''}.`}
          yes="Yes, delete it"
          no="No, keep it"
          failure="Cannot delete"
          action={async () => {
            setDeletion(await client.delete<Operation>(`/v1/checkpoints/${id}`));
            onChanged();
          }}
        />
      )}
      <span role="status" className="small">
        {deletion && <>Deleting: <Link to={`/operations/${encodeURIComponent(deletion.id)}`}>follow operation {deletion.id}</Link></>}
      </span>
      {/* A refused pin leaves the checkpoint as it was: what was tried is the opposite of what it is. */}
      {error && <span role="alert" className="error-text small">Cannot {c.pinned ? 'unpin' : 'pin'}: {error}</span>}
    </div>
  );
}
