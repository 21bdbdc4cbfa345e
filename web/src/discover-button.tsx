/**
 * Finds a host's resources now (POST /v1/hosts/{id}/discover). Discovery runs while the request
 * waits, not as an operation: its answer (found, added, missing) or the host's error shows here.
 */
import { useState } from 'react';
import type { Client } from './client.ts';
import { useAction } from './use-action.ts';

interface Found { found: number; added: number; missing: number }

export function DiscoverButton({ client, hostId, onDone }: { client: Client; hostId: string; onDone: () => void }) {
  const [found, setFound] = useState<Found | undefined>();
  const { pending, error, run } = useAction();
  const discover = () => {
    setFound(undefined);
    // A failure is recorded on the host too: refresh either way, so its discovery error shows.
    void run(async () => {
      try {
        setFound(await client.post<Found>(`/v1/hosts/${encodeURIComponent(hostId)}/discover`));
      } finally {
        onDone();
      }
    });
  };
  return (
    <div>
      <button type="button" disabled={pending} onClick={discover}>{pending ? 'Discovering…' : 'Discover now'}</button>
      {found && <p role="status" className="small">Found {found.found} resource{found.found === 1 ? '' : 's'}: {found.added} new, {found.missing} missing.</p>}
      {error && <p className="error" role="alert">Cannot discover: {error}</p>}
    </div>
  );
}
