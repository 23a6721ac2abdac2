/**
 * The certification policy's text, served by the portal: `/policy` lists the policies,
 * `/policy/<id>#<assessment>` shows one, scrolled to the assessment a scan result links to.
 * The text is `docs/policy/*.md` of this repository, bundled at build time.
 */
import { Content, List, ListItem, PageSection } from '@patternfly/react-core';
import { useEffect, type ReactNode } from 'react';
import Markdown, { type Components } from 'react-markdown';
import { Link, useLocation, useParams } from 'react-router-dom';
import connect2018 from '../../../../docs/policy/connect-2018.md?raw';
import container from '../../../../docs/policy/container.md?raw';
import { NotFound } from '../../components/NotFound';
import './policy.css';

/** The policies whose text the portal serves, by the id scan results name. */
const POLICIES: Record<string, { title: string; summary: string; text: string }> = {
  'connect-2018': {
    title: 'Red Hat Connect container certification (2018)',
    summary: 'The 13 assessments of the 2018 partner guide, by their exact names.',
    text: connect2018,
  },
  container: {
    title: 'Container certification',
    summary: "Today's policy, with the semantics of Red Hat's preflight.",
    text: container,
  },
};

/** The plain text of a heading's children. */
function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') {
    return String(node);
  }
  return Array.isArray(node) ? node.map((n: ReactNode) => textOf(n)).join('') : '';
}

/** The anchor of a heading: its text lower-cased, as scan results link it. */
function anchorOf(children: ReactNode): string {
  return textOf(children)
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-');
}

/** Headings get anchors; links inside the text stay in the portal where they can. */
const COMPONENTS: Components = {
  h1: ({ children }) => <h1 className="hm-policy-title">{children}</h1>,
  h2: ({ children }) => (
    <h2 id={anchorOf(children)} tabIndex={-1}>
      {children}
    </h2>
  ),
  h3: ({ children }) => <h3 id={anchorOf(children)}>{children}</h3>,
};

/** One policy's text, or the list of policies. */
export default function PolicyPage() {
  const { policy } = useParams();
  if (policy === undefined) {
    return <PolicyList />;
  }
  const found = Object.hasOwn(POLICIES, policy) ? POLICIES[policy] : undefined;
  if (found === undefined) {
    return <NotFound title="Policy not found" detail={`There is no policy "${policy}".`} />;
  }
  return <PolicyText text={found.text} />;
}

function PolicyList() {
  return (
    <PageSection>
      <Content>
        <h1>Certification policies</h1>
        <p>
          Each assessment of a scan links to its rule here: what is checked, why, and how to fix an
          image that fails it.
        </p>
      </Content>
      <List isPlain className="hm-policy-list">
        {Object.entries(POLICIES).map(([id, p]) => (
          <ListItem key={id}>
            <Link to={`/policy/${id}`}>{p.title}</Link> <span className="hm-mono">({id})</span>
            <div>{p.summary}</div>
          </ListItem>
        ))}
      </List>
    </PageSection>
  );
}

function PolicyText({ text }: { text: string }) {
  const { hash } = useLocation();
  useEffect(() => {
    // The assessment a result links to: scroll to it and move the focus there for keyboards.
    const target =
      hash.length > 1 ? document.getElementById(decodeURIComponent(hash.slice(1))) : null;
    target?.scrollIntoView();
    target?.focus({ preventScroll: true });
  }, [hash, text]);
  return (
    <PageSection>
      <Content className="hm-policy">
        <Markdown components={COMPONENTS}>{text}</Markdown>
      </Content>
      <p className="hm-policy-back">
        <Link to="/policy">All policies</Link>
      </p>
    </PageSection>
  );
}
