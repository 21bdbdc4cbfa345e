/**
 * "Export CSV": GET /v1/usage?format=csv with the report's filters, saved as a file. A plain link would
 * carry no token (it is a bearer token in sessionStorage, not a cookie), so the page fetches the CSV
 * itself and hands it to the browser as a Blob URL with a file name (an <a download>, which the
 * console's Content-Security-Policy does not restrict).
 */
import type { Client } from './client.ts';
import { useAction } from './use-action.ts';

export function ExportCsvButton({ client, query, filename }: { client: Client; query: string; filename: string }) {
  const { pending, error, run } = useAction();
  const save = () => run(async () => {
    const blob = await client.blob(`/v1/usage?${query}&format=csv`);
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    // The browser has the file once the download starts; the URL is let go a while later.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
  return (
    <span className="back-up">
      <button type="button" className="quiet" disabled={pending} onClick={() => void save()}>{pending ? 'Exporting…' : 'Export CSV'}</button>
      {error && <span role="alert" className="error-text small">Cannot export: {error}</span>}
    </span>
  );
}
