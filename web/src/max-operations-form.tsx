/**
 * How many operations may run at once on a host or a bank, across the cluster (PATCH {maxOperations});
 * an empty field is no limit. Operations over the limit wait, queued, for one to end.
 */
import { useId, useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import { useAction } from './use-action.ts';

interface Props {
  client: Client;
  /** The API path of the host or bank. */
  path: string;
  /** "host" or "bank", for the words. */
  what: string;
  current: number | null;
  onSaved: () => void;
}

export function MaxOperationsForm({ client, path, what, current, onSaved }: Props) {
  const [value, setValue] = useState(current === null ? '' : String(current));
  const [saved, setSaved] = useState(false);
  const { pending, error, run } = useAction();
  const help = useId();
  const save = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const maxOperations = value.trim() === '' ? null : Number(value);
    void run(async () => {
      await client.patch(path, { maxOperations });
      setSaved(true);
      onSaved();
    });
  };
  return (
    <form aria-label="Concurrency limit" onSubmit={save}>
      <div className="field-row">
        <label>
          <span>Operations at once</span>
          <input type="number" min={1} max={256} step={1} value={value} aria-describedby={help} onChange={(e) => { setSaved(false); setValue(e.target.value); }} />
        </label>
        <button type="submit" disabled={pending}>{pending ? 'Saving…' : 'Save limit'}</button>
      </div>
      <p id={help} className="muted small">At most this many operations run on the {what} at once, across the cluster (1 to 256); the others wait. Empty: no limit.</p>
      {error && <p className="error" role="alert">Cannot set the limit: {error}</p>}
      {saved && <p role="status" className="small">Saved: {value.trim() === '' ? 'no limit' : `at most ${value.trim()} at once`}.</p>}
    </form>
  );
}
