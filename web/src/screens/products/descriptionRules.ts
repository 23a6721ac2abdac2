/**
 * The allow-list of the product description's filtered HTML, as the server's
 * `sanitizeDescription` has it (src/modules/products/sanitize.ts; test/web/partner.test.ts checks
 * the two agree).
 */

/** Tags kept (their other attributes are dropped). */
export const ALLOWED_TAGS: readonly string[] = [
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
];
/** Tags dropped together with their content; any other tag is dropped and its text kept. */
export const DROPPED_WITH_CONTENT: readonly string[] = [
  'script',
  'style',
  'textarea',
  'option',
  'noscript',
  'iframe',
  'object',
];
/** The schemes a link may have. */
export const ALLOWED_SCHEMES: readonly string[] = ['http', 'https', 'mailto'];
/** The most characters a description may have (counted on the input, as the server does). */
export const DESCRIPTION_LIMIT = 32_768;
