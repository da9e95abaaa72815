// The signed-in user and role checks, shared by every feature.
import { createContext, useContext } from 'react';
import type { ProcedureOutput } from '../api/generated';

export type User = NonNullable<ProcedureOutput<'auth.status'>['user']>;
export type Role = User['role'];

const kRank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` is at least `min`. */
export function hasRole(role: Role | undefined, min: Role): boolean {
  return role !== undefined && kRank[role] >= kRank[min];
}

export interface Session {
  user: User;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in shell');
  return s;
}

/** Renders children only when the signed-in user has at least `min` role. */
export function RequireRole({ min, children }: { min: Role; children: React.ReactNode }) {
  const s = useContext(SessionContext);
  return hasRole(s?.user.role, min) ? <>{children}</> : null;
}
