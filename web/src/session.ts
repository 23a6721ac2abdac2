/** The logged-in user, as one query every screen shares (`null` when logged out). */
import { queryOptions, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok, setCsrfToken, type User } from './api/client';

const SESSION_KEY = ['session'] as const;

/** The session check (the entry starts it before the first render, see prefetch.ts). */
export const sessionQuery = queryOptions({
  queryKey: SESSION_KEY,
  queryFn: async (): Promise<User | null> => {
    const result = await api.GET('/api/v1/session');
    if (result.response.status === 401) {
      setCsrfToken(null);
      return null;
    }
    const session = ok(result);
    setCsrfToken(session.csrfToken);
    return session.user;
  },
  staleTime: 60_000,
});

/** The current session's user: `null` when logged out, `undefined` while loading. */
export function useSession(): { user: User | null | undefined; isLoading: boolean } {
  const query = useQuery(sessionQuery);
  return { user: query.data, isLoading: query.isLoading };
}

/** Updates every screen after logging in or out. */
export function useSetSession(): (
  session: { user: User; csrfToken: string | null } | null,
) => void {
  const client = useQueryClient();
  return (session) => {
    setCsrfToken(session?.csrfToken ?? null);
    client.setQueryData(SESSION_KEY, session?.user ?? null);
  };
}

let ended = false;

/** Remembers that a session ended under the user (expired, or logged out elsewhere). */
export function markSessionEnded(): void {
  ended = true;
}

/** Whether the last session ended under the user; logging in again clears it. */
export function sessionEnded(): boolean {
  return ended;
}

/** Forgets an ended session once the user has logged in again. */
export function clearSessionEnded(): void {
  ended = false;
}
