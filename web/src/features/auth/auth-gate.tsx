// Decides what the browser shows: first-admin setup, sign-in, or the signed-in shell.
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { mutate, query, setCsrfToken, setUnauthorizedHandler } from '../../api/client';
import { ApiError } from '../../api/errors';
import { SessionContext, type Session, type User } from '../../lib/session';
import { ErrorState, Loading } from '../../components/states';
import { LoginForm, SetupForm } from './login-form';

type Phase =
  | { kind: 'loading' }
  | { kind: 'failed'; error: ApiError }
  | { kind: 'setup' }
  | { kind: 'login'; notice?: string }
  | { kind: 'in'; user: User };

export function AuthGate({ children }: { children: ReactNode }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const qc = useQueryClient();

  const load = useCallback(async () => {
    setPhase({ kind: 'loading' });
    try {
      const s = await query('auth.status');
      setCsrfToken(s.csrfToken);
      if (s.setupRequired) setPhase({ kind: 'setup' });
      else if (s.user) setPhase({ kind: 'in', user: s.user });
      else setPhase({ kind: 'login' });
    } catch (e) {
      setPhase({ kind: 'failed', error: e as ApiError });
    }
  }, []);

  useEffect(() => {
    void load();
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      qc.clear();
      setPhase({ kind: 'login', notice: 'Your session ended. Sign in again.' });
    });
    return () => setUnauthorizedHandler(null);
  }, [load, qc]);

  const signedIn = useCallback((user: User, csrf: string) => {
    setCsrfToken(csrf);
    setPhase({ kind: 'in', user });
  }, []);

  const session = useMemo<Session | null>(
    () =>
      phase.kind === 'in'
        ? {
            user: phase.user,
            logout: async () => {
              try {
                await mutate('auth.logout');
              } finally {
                setCsrfToken(null);
                qc.clear();
                setPhase({ kind: 'login', notice: 'Signed out.' });
              }
            },
          }
        : null,
    [phase, qc],
  );

  switch (phase.kind) {
    case 'loading':
      return (
        <div className="auth-shell">
          <Loading label="Connecting" />
        </div>
      );
    case 'failed':
      return (
        <div className="auth-shell">
          <ErrorState error={phase.error} onRetry={() => void load()} />
        </div>
      );
    case 'setup':
      return <SetupForm onDone={signedIn} />;
    case 'login':
      return <LoginForm onDone={signedIn} notice={phase.notice} />;
    case 'in':
      return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
  }
}
