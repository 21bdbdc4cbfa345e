/** The console's root: the sign-in page until there is a session, then the signed-in console. */
import { useCallback, useState } from 'react';
import { ConsoleShell } from './console-shell.tsx';
import { forgetSession, loadSession, signOut, type Session } from './session.ts';
import { SignInPage } from './sign-in-page.tsx';

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | undefined>();

  const expired = useCallback(() => {
    forgetSession();
    setSession(null);
    setNotice('Your session has ended. Sign in again.');
  }, []);
  const leave = useCallback(async (s: Session) => {
    await signOut(s);
    setSession(null);
    setNotice('You are signed out.');
  }, []);

  if (!session) {
    return <SignInPage notice={notice} onSignedIn={(s) => { setNotice(undefined); setSession(s); }} />;
  }
  return <ConsoleShell session={session} onExpired={expired} onSignOut={() => leave(session)} />;
}
