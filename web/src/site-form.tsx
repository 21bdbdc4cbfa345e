/** A new site: a name (POST /v1/sites); the API's refusal (a name taken, a bad character) shows as it says it. */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import type { Site } from './infrastructure.ts';
import { useAction } from './use-action.ts';

export function SiteForm({ client, onCreated }: { client: Client; onCreated: (s: Site) => void }) {
  const [name, setName] = useState('');
  const { pending, error, run } = useAction();
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => onCreated(await client.post<Site>('/v1/sites', { name: name.trim() })));
  };
  return (
    <form aria-label="New site" onSubmit={create}>
      <div className="field-row">
        <label className="grow"><span>Site name</span><input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} /></label>
        <button type="submit" disabled={pending}>{pending ? 'Creating…' : 'Create site'}</button>
      </div>
      {error && <p className="error" role="alert">Cannot create the site: {error}</p>}
    </form>
  );
}
