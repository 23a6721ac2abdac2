/**
 * The product description's "filtered HTML" in the browser: the same allow-list as the server's
 * `sanitizeDescription` (src/modules/products/sanitize.ts; test/web/partner.test.ts checks the two
 * lists agree), applied to an inert parsed document and rendered as React elements. No HTML string
 * is ever injected: what is not on the list is not rendered, and no attribute but a link's `href`
 * survives (so no `style`, which the Content-Security-Policy would refuse anyway).
 */
import { createElement, type ReactNode } from 'react';
import {
  ALLOWED_SCHEMES,
  ALLOWED_TAGS,
  DESCRIPTION_LIMIT,
  DROPPED_WITH_CONTENT,
} from './descriptionRules';

export { DESCRIPTION_LIMIT };

/** A node of a sanitized description: text, or an allowed element. */
export type SafeNode = string | { tag: string; href?: string; children: SafeNode[] };

/** A link's href when its scheme is allowed (relative links stay; protocol-relative do not). */
function safeHref(raw: string | null): string | undefined {
  if (raw === null) {
    return undefined;
  }
  // Control characters and whitespace are ignored by browsers inside a scheme.
  // eslint-disable-next-line no-control-regex
  const href = raw.replace(/[\u0000-\u0020]+/g, '');
  if (href.startsWith('//')) {
    return undefined;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href)?.[1];
  if (scheme !== undefined && !ALLOWED_SCHEMES.includes(scheme.toLowerCase())) {
    return undefined;
  }
  return raw.trim();
}

function walk(node: Node): SafeNode[] {
  const out: SafeNode[] = [];
  node.childNodes.forEach((child) => {
    if (child.nodeType === Node.TEXT_NODE) {
      out.push(child.textContent ?? '');
      return;
    }
    if (child.nodeType !== Node.ELEMENT_NODE) {
      return;
    }
    const tag = (child as Element).tagName.toLowerCase();
    if (DROPPED_WITH_CONTENT.includes(tag)) {
      return;
    }
    const children = walk(child);
    if (!ALLOWED_TAGS.includes(tag)) {
      out.push(...children);
      return;
    }
    const href = tag === 'a' ? safeHref((child as Element).getAttribute('href')) : undefined;
    out.push(href === undefined ? { tag, children } : { tag, href, children });
  });
  return out;
}

/** The parts of `html` the server keeps, parsed in an inert document (nothing runs or loads). */
export function sanitizeDescription(html: string): SafeNode[] {
  // Style attributes are removed before parsing: the Content-Security-Policy reports (and
  // blocks) every inline style, even in an inert document; they are dropped anyway.
  const unstyled = html.replace(/<[^>]*>/g, (tag) =>
    tag.replace(/\sstyle\s*=\s*("[^"]*"|'[^']*'|[^\s>]*)/gi, ''),
  );
  const doc = new DOMParser().parseFromString(
    `<!doctype html><html><body>${unstyled}</body></html>`,
    'text/html',
  );
  return walk(doc.body);
}

function render(nodes: SafeNode[], prefix: string): ReactNode[] {
  return nodes.map((node, i) => {
    const key = `${prefix}.${i}`;
    if (typeof node === 'string') {
      return node;
    }
    const props: Record<string, string> = { key };
    if (node.href !== undefined) {
      props.href = node.href;
      props.rel = 'nofollow noopener';
    }
    return node.tag === 'br'
      ? createElement('br', props)
      : createElement(node.tag, props, ...render(node.children, key));
  });
}

/** A description rendered from its sanitized parts. */
export function Description({ html, id }: { html: string; id?: string }) {
  const nodes = sanitizeDescription(html);
  return (
    <div className="hm-partner-description" id={id}>
      {render(nodes, 'd')}
    </div>
  );
}
