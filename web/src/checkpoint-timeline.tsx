/**
 * A resource's checkpoints as a timeline, newest first: when, full or incremental (incremental ones
 * name the checkpoint they build on in the bank), the resource's logical size and what the checkpoint
 * added to its bank, its status, whether a verification read it back (or found it damaged), pinned.
 */
import type { Client } from './client.ts';
import { CheckpointActions } from './checkpoint-actions.tsx';
import { formatBytes, formatTime } from './format.ts';
import type { Checkpoint } from './types.ts';

interface Props {
  client: Client;
  checkpoints: Checkpoint[];
  canAct: boolean;
  onChanged: () => void;
}

export function CheckpointTimeline({ client, checkpoints, canAct, onChanged }: Props) {
  return (
    <ol className="timeline" aria-label="Checkpoints">
      {checkpoints.map((c) => {
        const labelId = `checkpoint-${c.id}`;
        return (
          <li key={c.id} data-checkpoint-id={c.id}>
            <div className="timeline-head">
              <time id={labelId} dateTime={c.createdAt} className="name">{formatTime(c.createdAt)}</time>
              <span className="tag">{c.parentRef === null ? 'full' : 'incremental'}</span>
              <span className={`state checkpoint-${c.status}`}>{c.status}</span>
              {c.pinned && <span className="tag pinned">pinned</span>}
              <Verification checkpoint={c} />
            </div>
            <dl className="facts compact">
              <div><dt>Logical size</dt><dd>{c.sourceBytes === null ? '—' : formatBytes(c.sourceBytes)}</dd></div>
              <div><dt>Stored</dt><dd>{c.storedBytes === null ? '—' : formatBytes(c.storedBytes)}</dd></div>
              <div><dt>Completed</dt><dd>{c.completedAt ? formatTime(c.completedAt) : '—'}</dd></div>
              <div><dt>Id</dt><dd className="mono small">{c.id}</dd></div>
            </dl>
            {c.error && <p className="error-text small">{c.error}</p>}
            {canAct && <CheckpointActions client={client} checkpoint={c} labelId={labelId} onChanged={onChanged} />}
          </li>
        );
      })}
    </ol>
  );
}

function Verification({ checkpoint: c }: { checkpoint: Checkpoint }) {
  if (c.damaged) return <span className="tag warn" title="a verification found chunks missing or corrupt">damaged</span>;
  if (c.verifiedAt) return <span className="tag verified">verified {formatTime(c.verifiedAt)}</span>;
  return <span className="tag">not verified</span>;
}
