/**
 * What an operators' page shows someone else: the API answered 403, and the page says whose it is
 * instead of an error they cannot fix.
 */
import { ApiError } from './api.ts';
import { Link } from './link.tsx';

export const refusedToOperators = (error: Error | undefined): boolean => error instanceof ApiError && error.status === 403;

export function OperatorsOnly({ what }: { what: string }) {
  return (
    <section aria-labelledby="operators-only-title">
      <h1 id="operators-only-title">For operators only</h1>
      <p className="error" role="alert">{what} are shown to the operators of this server. Your account is not an operator's.</p>
      <p><Link to="/">Go to the dashboard</Link></p>
    </section>
  );
}
