/**
 * One resource and its checkpoints (GET /v1/resources/{id}, GET /v1/checkpoints?resourceId=), newest
 * first, refreshed every 2 s while one is being made or deleted, else every 15 s. Another tenant's
 * resource, or none, answers 404, and the page says it is not found, as the API does.
 */
import { useCallback } from 'react';
import { ApiError } from './api.ts';
import { BackUpButton } from './back-up-button.tsx';
import { CheckpointTimeline } from './checkpoint-timeline.tsx';
import type { Client } from './client.ts';
import { formatBytes } from './format.ts';
import { Link } from './link.tsx';
import { NotFound } from './not-found.tsx';
import type { Checkpoint, Resource } from './types.ts';
import { usePoll } from './use-poll.ts';

interface Loaded {
  resource: Resource;
  checkpoints: Checkpoint[];
}

const busy = (d: Loaded | undefined) => d?.checkpoints.some((c) => c.status === 'protecting' || c.status === 'deleting') ?? false;
const delay = (d: Loaded | undefined) => (busy(d) ? 2_000 : 15_000);

export function ResourcePage({ client, id, mayAct }: { client: Client; id: string; mayAct: (tenantId: string | null) => boolean }) {
  const load = useCallback(async (signal: AbortSignal): Promise<Loaded> => {
    const path = encodeURIComponent(id);
    const [resource, checkpoints] = await Promise.all([
      client.get<Resource>(`/v1/resources/${path}`, signal),
      client.list<Checkpoint>(`/v1/checkpoints?resourceId=${path}`, signal),
    ]);
    return { resource, checkpoints: checkpoints.reverse() };
  }, [client, id]);
  const { data, error, refresh } = usePoll(load, delay);

  if (!data && error instanceof ApiError && error.status === 404) {
    return <NotFound what="Resource" id={id} back={{ to: '/resources', label: 'See your resources' }} />;
  }
  const r = data?.resource;
  const canAct = r !== undefined && mayAct(r.tenantId);
  return (
    <>
      <p className="breadcrumb"><Link to="/resources">Resources</Link> ›</p>
      <h1>{r ? r.name : 'Resource'}</h1>
      {r && (
        <p className="muted">
          {r.type}{r.sizeBytes !== null ? `, ${formatBytes(r.sizeBytes)}` : ''}, <span className="mono">{r.externalId}</span>
          {r.missingSince && <span className="tag warn">gone; its checkpoints still restore</span>}
        </p>
      )}
      {error && <p className="error" role="alert">Cannot {data ? 'refresh' : 'load'} the resource: {error.message}</p>}
      <section className="card" aria-labelledby="checkpoints-title" aria-busy={!data}>
        <div className="card-head">
          <h2 id="checkpoints-title">Checkpoints</h2>
          {canAct && !r.missingSince && <BackUpButton client={client} resourceId={r.id} describedBy="checkpoints-title" />}
        </div>
        {!data && !error && <p className="loading" role="status">Loading…</p>}
        {data && data.checkpoints.length === 0 && <p className="empty-note">No checkpoints yet.{canAct ? ' Back up now to make the first.' : ''}</p>}
        {data && data.checkpoints.length > 0 && <CheckpointTimeline client={client} checkpoints={data.checkpoints} canAct={canAct} onChanged={refresh} />}
      </section>
    </>
  );
}
