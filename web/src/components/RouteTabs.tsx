/**
 * Tabs that are pages: each tab a link to its own URL, the current one's content below, in
 * PatternFly's tabs markup and styles (the current tab underlined by its static style). PatternFly's
 * `Tabs` measures its tabs after every render, to slide the underline and offer scroll buttons: on
 * a cold project page those forced layouts cost about 150 ms, and again each time the images tab
 * refreshed.
 */
import tabsStyles from '@patternfly/react-styles/css/components/Tabs/tabs';
import contentStyles from '@patternfly/react-styles/css/components/TabContent/tab-content';
import { useId, type ReactNode } from 'react';
import { Link } from 'react-router-dom';

export interface RouteTab {
  key: string;
  title: string;
  to: string;
}

interface RouteTabsProps {
  tabs: readonly RouteTab[];
  /** The key of the tab whose page this is. */
  current: string;
  'aria-label': string;
  /** The current tab's content. */
  children: ReactNode;
}

export function RouteTabs({ tabs, current, 'aria-label': label, children }: RouteTabsProps) {
  const id = useId();
  const tabId = (key: string) => `${id}-tab-${key}`;
  const panelId = `${id}-panel`;
  return (
    <>
      <div className={tabsStyles.tabs}>
        <ul className={tabsStyles.tabsList} role="tablist" aria-label={label}>
          {tabs.map((tab) => {
            const selected = tab.key === current;
            return (
              <li
                key={tab.key}
                className={
                  selected
                    ? `${tabsStyles.tabsItem} ${tabsStyles.modifiers.current}`
                    : tabsStyles.tabsItem
                }
                role="presentation"
              >
                <Link
                  className={tabsStyles.tabsLink}
                  id={tabId(tab.key)}
                  to={tab.to}
                  role="tab"
                  aria-selected={selected}
                  aria-controls={selected ? panelId : undefined}
                >
                  <span className={tabsStyles.tabsItemText}>{tab.title}</span>
                </Link>
              </li>
            );
          })}
        </ul>
      </div>
      <section
        className={contentStyles.tabContent}
        id={panelId}
        role="tabpanel"
        aria-labelledby={tabId(current)}
        tabIndex={0}
      >
        {children}
      </section>
    </>
  );
}
