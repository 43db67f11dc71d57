import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api, Whoami } from './api';

export interface Session {
  api: Api;
  me: Whoami;
  can: (permission: string) => boolean;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
}
