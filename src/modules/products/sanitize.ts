/** The product description's "filtered HTML": a safe subset, applied on the way in. */
import sanitizeHtml from 'sanitize-html';

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'em',
    'ul',
    'ol',
    'li',
    'a',
    'h2',
    'h3',
    'h4',
    'code',
    'pre',
    'blockquote',
  ],
  // `rel` is only ever the value the transform below sets.
  allowedAttributes: { a: ['href', 'rel'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  // Script and style bodies are dropped with their tags rather than kept as text.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object'],
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener' }, true),
  },
};

/** Keeps only the allowed tags and http/https/mailto links of a description. */
export function sanitizeDescription(html: string): string {
  return sanitizeHtml(html, OPTIONS).trim();
}

/** The allow-list, for the web UI's preview to mirror (test/web/partner.test.ts compares them). */
export const DESCRIPTION_RULES = {
  allowedTags: OPTIONS.allowedTags,
  nonTextTags: OPTIONS.nonTextTags,
  allowedSchemes: OPTIONS.allowedSchemes,
} as const;
