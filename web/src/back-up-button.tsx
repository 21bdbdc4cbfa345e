/**
 * "Back up now" for one resource: POST /v1/checkpoints {resourceIds: [id]}, as `cairn backup` does.
 * The operation it starts is linked right there, so the user can follow it; a refusal (a quota, a
 * resource whose host is away) is shown beside the button in the API's words.
 */
import { useState } from 'react';
import type { Client } from './client.ts';
import { useAction } from './use-action.ts';
import { Link } from './link.tsx';
import type { Operation } from './types.ts';

export function BackUpButton({ client, resourceId, describedBy }: { client: Client; resourceId: string; describedBy: string }) {
  const [started, setStarted] = useState<Operation | undefined>();
  const { pending, error, run } = useAction();
  const backUp = () => run(async () => setStarted(await client.post<Operation>('/v1/checkpoints', { resourceIds: [resourceId] })));

  return (
    <span className="back-up">
      <button type="button" className="quiet" disabled={pending} aria-describedby={describedBy} onClick={() => void backUp()}>
        {pending ? 'Starting…' : 'Back up now'}
      </button>
      <span role="status" className="small">
        {started && <>Backup started: <Link to={`/operations/${encodeURIComponent(started.id)}`}>follow operation {started.id}</Link></>}
      </span>
      {error && <span role="alert" className="error-text small">Cannot back up: {error}</span>}
    </span>
  );
}
