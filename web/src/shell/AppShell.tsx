/** The frame of every page: masthead (Hallmark, the user, log in / log out), navigation, content. */
import {
  Button,
  Masthead,
  MastheadBrand,
  MastheadContent,
  MastheadLogo,
  MastheadMain,
  MastheadToggle,
  Nav,
  NavItem,
  NavList,
  Page,
  PageSidebar,
  PageSidebarBody,
  PageToggleButton,
  SkipToContent,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core';
import { useState, type MouseEvent } from 'react';
import { isPlainClick, LinkButton } from '../components/LinkButton';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { api } from '../api/client';
import { ProblemAlert } from '../components/ProblemAlert';
import { useSession, useSetSession } from '../session';
import type { Problem } from '../api/client';
import { asProblem } from '../api/client';

const MAIN_ID = 'main-content';

/** The page frame with the current route's screen as its content. */
export function AppShell() {
  const { user } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const setSession = useSetSession();
  const [logoutProblem, setLogoutProblem] = useState<Problem | undefined>();

  const logOut = async () => {
    const result = await api.DELETE('/api/v1/session');
    if (!result.response.ok) {
      setLogoutProblem(asProblem(result.error, result.response));
      return;
    }
    setLogoutProblem(undefined);
    setSession(null);
    void navigate('/catalog');
  };

  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadToggle>
          <PageToggleButton isHamburgerButton aria-label="Navigation" />
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo
            component="a"
            href="/catalog"
            onClick={(event: MouseEvent) => {
              if (isPlainClick(event)) {
                event.preventDefault();
                void navigate('/catalog');
              }
            }}
          >
            <span className="hm-brand">Hallmark</span>
          </MastheadLogo>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight isStatic>
          <ToolbarContent>
            <ToolbarGroup
              align={{ default: 'alignEnd' }}
              alignItems="center"
              gap={{ default: 'gapMd' }}
            >
              {user === undefined ? null : user === null ? (
                <>
                  <ToolbarItem visibility={{ default: 'hidden', md: 'visible' }}>
                    <LinkButton variant="link" to="/signup">
                      Sign up
                    </LinkButton>
                  </ToolbarItem>
                  <ToolbarItem>
                    <LinkButton
                      variant="secondary"

                      to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`}
                    >
                      Log in
                    </LinkButton>
                  </ToolbarItem>
                </>
              ) : (
                <>
                  <ToolbarItem>
                    <span className="hm-user" data-testid="current-user">
                      {user.login}
                    </span>
                  </ToolbarItem>
                  <ToolbarItem>
                    <Button variant="secondary" onClick={() => void logOut()}>
                      Log out
                    </Button>
                  </ToolbarItem>
                </>
              )}
            </ToolbarGroup>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );

  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Main">
          <NavList>
            <NavItem isActive={location.pathname.startsWith('/catalog')}>
              <NavLink to="/catalog">Catalog</NavLink>
            </NavItem>
            {user === null ? (
              <>
                <NavItem isActive={location.pathname === '/login'}>
                  <NavLink to="/login">Log in</NavLink>
                </NavItem>
                <NavItem isActive={location.pathname === '/signup'}>
                  <NavLink to="/signup">Sign up</NavLink>
                </NavItem>
              </>
            ) : user === undefined ? null : (
              <NavItem isActive={location.pathname === '/tokens'}>
                <NavLink to="/tokens">API tokens</NavLink>
              </NavItem>
            )}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );

  return (
    <Page
      masthead={masthead}
      sidebar={sidebar}
      isManagedSidebar
      skipToContent={<SkipToContent href={`#${MAIN_ID}`}>Skip to content</SkipToContent>}
      mainContainerId={MAIN_ID}
    >
      {logoutProblem === undefined ? null : (
        <ProblemAlert problem={logoutProblem} title="Logging out failed" />
      )}
      <Outlet />
    </Page>
  );
}
