/** The web UI's entry: PatternFly's base styles, the query client and the router. */
import '@patternfly/react-core/dist/styles/base.css';
import './app.css';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router-dom';
import { ProblemError, setCsrfToken } from './api/client';
import { prefetchFor } from './prefetch';
import { router } from './routes';
import { markSessionEnded } from './session';

/**
 * A session that ended (expired, or logged out elsewhere) shows as logged out everywhere: the
 * next screen that needs a login sends the user to log in.
 */
function onSessionEnded(err: unknown): void {
  if (err instanceof ProblemError && err.problem.status === 401) {
    // A wrong password is a 401 too: only a session that existed can end.
    const user: unknown = queryClient.getQueryData(['session']);
    if (user !== null && user !== undefined) {
      markSessionEnded();
    }
    setCsrfToken(null);
    queryClient.setQueryData(['session'], null);
  }
}

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onSessionEnded }),
  mutationCache: new MutationCache({ onError: onSessionEnded }),
  defaultOptions: {
    // Problems (4xx) are answers, not hiccups: retry only what never reached the server.
    queries: {
      retry: (count, err) => count < 2 && !('problem' in err),
      refetchOnWindowFocus: false,
    },
  },
});

/**
 * How long the first render waits for the screen's code and first data (prefetch.ts): rendered
 * with them, a cold page is one render and one frame, not a loading state first and the screen
 * in a second render and frame. A slow network gets the loading state after this.
 */
const FIRST_RENDER_WAIT_MS = 400;

function render(): void {
  const root = document.getElementById('root');
  if (root === null) {
    throw new Error('index.html has no #root');
  }
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  );
}

void Promise.race([
  prefetchFor(queryClient, window.location.pathname, window.location.search),
  new Promise((resolve) => setTimeout(resolve, FIRST_RENDER_WAIT_MS)),
]).then(render);
