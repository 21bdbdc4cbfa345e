/**
 * An operator sets a tenant's limits (PUT /v1/tenants/{id}/quota): a field left empty is no limit.
 * Stored bytes are typed in a unit (MiB, GiB, TiB); a limit shows in the largest unit it is a whole
 * number of, so saving without a change keeps it exactly.
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import type { Quota, QuotaUse } from './types.ts';
import { useAction } from './use-action.ts';

const UNITS = [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['bytes', 1]] as const;
type Unit = (typeof UNITS)[number][0];

interface Props {
  client: Client;
  /** …/tenants/{id}/quota */
  path: string;
  quota: Quota;
  onSaved: () => void;
}

export function QuotaForm({ client, path, quota, onSaved }: Props) {
  const bytes = UNITS.find(([, size]) => quota.maxStoredBytes !== null && quota.maxStoredBytes % size === 0) ?? UNITS[1];
  const [resources, setResources] = useState(text(quota.maxResources));
  const [checkpoints, setCheckpoints] = useState(text(quota.maxCheckpoints));
  const [stored, setStored] = useState(quota.maxStoredBytes === null ? '' : String(quota.maxStoredBytes / bytes[1]));
  const [unit, setUnit] = useState<Unit>(bytes[0]);
  const [saved, setSaved] = useState(false);
  const { pending, error, run } = useAction();

  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const size = UNITS.find(([u]) => u === unit)![1];
    void run(async () => {
      await client.put<QuotaUse>(path, {
        maxResources: limitOf(resources), maxCheckpoints: limitOf(checkpoints), maxStoredBytes: stored.trim() === '' ? null : Math.round(Number(stored) * size),
      });
      setSaved(true);
      onSaved();
    });
  };

  return (
    <form aria-label="Set the quota" onSubmit={save}>
      <h3 className="form-title">Set the limits</h3>
      <p className="muted small">Leave a field empty for no limit. A lower limit refuses new backups and plans; nothing already kept is deleted.</p>
      <div className="field-row">
        <label><span>Max resources</span><input type="number" min={0} step={1} value={resources} onChange={(e) => { setSaved(false); setResources(e.target.value); }} /></label>
        <label><span>Max checkpoints</span><input type="number" min={0} step={1} value={checkpoints} onChange={(e) => { setSaved(false); setCheckpoints(e.target.value); }} /></label>
        <label><span>Max stored</span><input type="number" min={0} step="any" value={stored} onChange={(e) => { setSaved(false); setStored(e.target.value); }} /></label>
        <label>
          <span>Unit</span>
          <select value={unit} onChange={(e) => { setSaved(false); setUnit(e.target.value as Unit); }}>
            {UNITS.map(([u]) => <option key={u} value={u}>{u}</option>)}
          </select>
        </label>
        <button type="submit" className="primary" disabled={pending}>{pending ? 'Saving…' : 'Save limits'}</button>
      </div>
      {error && <p className="error" role="alert">Cannot set the quota: {error}</p>}
      <p role="status" className="small ok-note">{saved && !pending ? 'Limits saved.' : ''}</p>
    </form>
  );
}

const text = (n: number | null) => (n === null ? '' : String(n));
const limitOf = (s: string) => (s.trim() === '' ? null : Number(s));
