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
  NavGroup,
  NavItem,
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
import navStyles from '@patternfly/react-styles/css/components/Nav/nav';
import pageStyles from '@patternfly/react-styles/css/components/Page/page';
import { useEffect, useState, useSyncExternalStore, type MouseEvent } from 'react';
import { isPlainClick, LinkButton } from '../components/LinkButton';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { api } from '../api/client';
import { ProblemAlert } from '../components/ProblemAlert';
import { useSession, useSetSession } from '../session';
import type { Problem } from '../api/client';
import { asProblem } from '../api/client';
// The masthead's phone styles live with the company screens (the user's own corner).
import '../screens/company/company.css';

const MAIN_ID = 'main-content';

/**
 * From PatternFly's xl breakpoint (1200 px) the navigation sits beside the content, open unless
 * closed; below it, it lies over the content, closed unless opened. PatternFly's Page can manage
 * this itself, but it reads the page's width as it mounts (a forced layout of the whole page, about
 * 50 ms of a cold catalog page): a media query answers without one.
 */
const WIDE = '(min-width: 75rem)';

let wideQuery: MediaQueryList | undefined;
const wideMedia = () => (wideQuery ??= window.matchMedia(WIDE));
const subscribeWide = (changed: () => void) => {
  wideMedia().addEventListener('change', changed);
  return () => wideMedia().removeEventListener('change', changed);
};
const isWide = () => wideMedia().matches;

/** Whether the navigation is open, and the toggle: one state for wide screens, one for narrow. */
function useSidebar(): { open: boolean; wide: boolean; toggle: () => void } {
  const wide = useSyncExternalStore(subscribeWide, isWide);
  const [openWide, setOpenWide] = useState(true);
  const { pathname } = useLocation();
  // On a narrow screen the navigation is open on the page it was opened on: following a link (or
  // any change of page) puts it away.
  const [openedOn, setOpenedOn] = useState<string | null>(null);
  const openNarrow = openedOn === pathname;
  const covering = !wide && openNarrow;
  useEffect(() => {
    const main = covering ? document.getElementById(MAIN_ID) : null;
    if (main === null) {
      return;
    }
    const close = () => setOpenedOn(null);
    main.addEventListener('mousedown', close);
    main.addEventListener('touchstart', close);
    return () => {
      main.removeEventListener('mousedown', close);
      main.removeEventListener('touchstart', close);
    };
  }, [covering]);
  return {
    open: wide ? openWide : openNarrow,
    wide,
    toggle: () =>
      wide ? setOpenWide((o) => !o) : setOpenedOn((on) => (on === pathname ? null : pathname)),
  };
}

/** The page frame with the current route's screen as its content. */
export function AppShell() {
  const { user } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const setSession = useSetSession();
  const [logoutProblem, setLogoutProblem] = useState<Problem | undefined>();
  const sidebarState = useSidebar();

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
          <PageToggleButton
            isHamburgerButton
            aria-label="Navigation"
            isSidebarOpen={sidebarState.open}
            onSidebarToggle={sidebarState.toggle}
          />
        </MastheadToggle>
        <MastheadBrand>
          <MastheadLogo
            component="a"
            className="hm-company-masthead-logo"
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
                  {/* Below md the name would push the masthead past a phone's width: it stays
                      in the page (hidden) and the navigation's "My profile" names the way. */}
                  <ToolbarItem className="hm-company-user">
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
    <PageSidebar
      isSidebarOpen={sidebarState.open}
      className={sidebarState.open && !sidebarState.wide ? pageStyles.modifiers.expanded : ''}
    >
      <PageSidebarBody>
        <Nav aria-label="Main">
          {/* NavList's markup without NavList: a vertical list cannot overflow, and NavList
              measures its items for scroll buttons (a forced layout) as it mounts and resizes. */}
          <ul className={navStyles.navList} role="list">
            <NavLinkItem to="/catalog" label="Catalog" />
            {user === null ? (
              <>
                <NavLinkItem to="/login" label="Log in" exact />
                <NavLinkItem to="/signup" label="Sign up" exact />
              </>
            ) : user === undefined ? null : (
              <>
                {user.companyId === null ? (
                  user.staff ? null : (
                    <NavLinkItem to="/welcome" label="Find your company" exact />
                  )
                ) : (
                  <>
                    <NavLinkItem to={`/companies/${user.companyId}`} label="Company" />
                    <NavLinkItem to="/zones" label="Zones" />
                    <NavLinkItem to="/products" label="Products" />
                    <NavLinkItem to="/projects" label="Projects" />
                    <NavLinkItem to="/software" label="Software access" />
                    <NavLinkItem to="/downloads" label="Downloads" exact />
                    <NavLinkItem to="/export-compliance" label="Export compliance" />
                  </>
                )}
                <NavLinkItem to="/profile" label="My profile" exact />
                <NavLinkItem to="/tokens" label="API tokens" exact />
              </>
            )}
          </ul>
          {user?.staff === true ? (
            <NavGroup title="Program staff">
              <NavLinkItem to="/staff" label="Work queue" exact />
              <NavLinkItem to="/staff/companies" label="Companies" />
              <NavLinkItem to="/staff/zones" label="Zones and rules" />
              <NavLinkItem to="/projects" label="Projects" />
              <NavLinkItem to="/staff/vulndb" label="Vulnerability data" exact />
              <NavLinkItem to="/staff/mail" label="Mail outbox" />
              <NavLinkItem to="/staff/audit" label="Audit log" exact />
            </NavGroup>
          ) : null}
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );

  return (
    <Page
      masthead={masthead}
      sidebar={sidebar}
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

/** A navigation entry, active on its path (and, unless `exact`, on the paths below it). */
function NavLinkItem({ to, label, exact = false }: { to: string; label: string; exact?: boolean }) {
  const { pathname } = useLocation();
  const active = pathname === to || (!exact && pathname.startsWith(`${to}/`));
  return (
    <NavItem isActive={active}>
      <NavLink to={to}>{label}</NavLink>
    </NavItem>
  );
}
