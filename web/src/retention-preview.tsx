/**
 * What the retention being written would keep and expire of the checkpoints of the plans that use this
 * (saved) policy: POST /v1/policies/{id}/retention-preview, expiry's own selection, nothing deleted.
 * Asked for with a button, since it reads every checkpoint of those plans.
 */
import { useState } from 'react';
import type { Client } from './client.ts';
import { formatTime } from './format.ts';
import type { Resource, Retention } from './types.ts';

interface Verdict { id: string; name: string; resourceId: string; createdAt: string; keep: boolean; reasons: string[] }
interface Loaded { checkpoints: Verdict[]; names: Map<string, string> }

export function RetentionPreview({ client, policyId, retention, timeZone }: { client: Client; policyId: string; retention: Retention; timeZone: string }) {
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  async function preview() {
    setPending(true);
    setError(undefined);
    try {
      const [answer, resources] = await Promise.all([
        client.post<{ checkpoints: Verdict[] }>(`/v1/policies/${encodeURIComponent(policyId)}/retention-preview`, { retention, timeZone }),
        client.list<Resource>('/v1/resources'),
      ]);
      setLoaded({ checkpoints: answer.checkpoints, names: new Map(resources.map((r) => [r.id, r.name])) });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  const expiring = loaded?.checkpoints.filter((c) => !c.keep).length ?? 0;
  return (
    <section className="card" aria-labelledby="retention-preview-title">
      <div className="card-head">
        <h2 id="retention-preview-title">Retention preview</h2>
        <button type="button" className="quiet" disabled={pending} onClick={() => void preview()}>{pending ? 'Working…' : 'Preview retention'}</button>
      </div>
      <p className="muted small">Which checkpoints of the plans using this policy the retention above would keep, and which the next backup would expire. Nothing is deleted here.</p>
      {error && <p className="error" role="alert">Cannot preview: {error}</p>}
      {loaded && loaded.checkpoints.length === 0 && <p className="empty-note">No plan using this policy has checkpoints yet.</p>}
      {loaded && loaded.checkpoints.length > 0 && (
        <div className="table-wrap">
          <p role="status">{loaded.checkpoints.length - expiring} kept, {expiring} would expire.</p>
          <table className="operations" aria-label="Retention preview">
            <thead><tr><th>Resource</th><th>Checkpoint</th><th>Made</th><th>Verdict</th></tr></thead>
            <tbody>
              {loaded.checkpoints.map((c) => (
                <tr key={c.id} data-checkpoint-id={c.id}>
                  <td>{loaded.names.get(c.resourceId) ?? c.resourceId}</td>
                  <td className="mono small">{c.name}</td>
                  <td>{formatTime(c.createdAt)}</td>
                  <td>{c.keep ? <span className="state state-succeeded">kept ({c.reasons.join(', ')})</span> : <span className="state state-failed">expires</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
