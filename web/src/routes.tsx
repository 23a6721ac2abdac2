/** The UI's pages: each screen is its own chunk, loaded when its route is first opened. */
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { createBrowserRouter, Navigate } from 'react-router-dom';
import { AppShell } from './shell/AppShell';
import { Loading } from './components/Loading';

const screens = {
  catalog: lazy(() => import('./screens/CatalogPage')),
  catalogImage: lazy(() => import('./screens/CatalogImagePage')),
  login: lazy(() => import('./screens/LoginPage')),
  signUp: lazy(() => import('./screens/SignUpPage')),
  confirm: lazy(() => import('./screens/ConfirmPage')),
  forgotPassword: lazy(() => import('./screens/ForgotPasswordPage')),
  resetPassword: lazy(() => import('./screens/ResetPasswordPage')),
  tokens: lazy(() => import('./screens/TokensPage')),
  notFound: lazy(() => import('./screens/NotFoundPage')),
};

/** A lazily loaded screen with the loading state while its chunk arrives. */
function screen(Screen: LazyExoticComponent<ComponentType>) {
  return (
    <Suspense fallback={<Loading />}>
      <Screen />
    </Suspense>
  );
}

/** Every client route; the server answers index.html for them (SPA fallback). */
export const router = createBrowserRouter([
  {
    element: <AppShell />,
    children: [
      { index: true, element: <Navigate to="/catalog" replace /> },
      { path: 'catalog', element: screen(screens.catalog) },
      { path: 'catalog/:id', element: screen(screens.catalogImage) },
      { path: 'login', element: screen(screens.login) },
      { path: 'signup', element: screen(screens.signUp) },
      // The paths of the links in Hallmark's e-mails (src/modules/accounts/accounts.ts).
      { path: 'confirm', element: screen(screens.confirm) },
      { path: 'forgot-password', element: screen(screens.forgotPassword) },
      { path: 'reset-password', element: screen(screens.resetPassword) },
      { path: 'tokens', element: screen(screens.tokens) },
      { path: '*', element: screen(screens.notFound) },
    ],
  },
]);
