/**
 * Screens behind a login: the loading state while the session is read, a redirect to log in
 * (coming back here afterwards) when there is none, else the screen with the user.
 */
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import type { User } from '../api/client';
import { useSession } from '../session';
import { Loading } from './Loading';
import { NotFound } from './NotFound';

/** Renders `children(user)` for a logged-in user; `staff` screens answer others "not found". */
export function RequireSession({
  staff = false,
  children,
}: {
  staff?: boolean;
  children: (user: User) => ReactNode;
}) {
  const { user, isLoading } = useSession();
  const location = useLocation();
  if (isLoading || user === undefined) {
    return <Loading label="Loading your session" />;
  }
  if (user === null) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  if (staff && !user.staff) {
    return <NotFound />;
  }
  return <>{children(user)}</>;
}
