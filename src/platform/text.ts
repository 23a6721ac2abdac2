/**
 * Plain text for names and other single-line fields: no control characters, no line breaks and
 * no bidirectional controls. Such characters stored verbatim end up in log lines, e-mail headers
 * and the portal, where they inject lines or make one vendor's name read like another's.
 */
import { z } from 'zod';
import { invalid } from './errors.js';

/** Code points a plain line refuses, by range (inclusive). */
const FORBIDDEN: readonly (readonly [number, number])[] = [
  [0x00, 0x1f], // C0 controls, including tab, line feed and carriage return
  [0x7f, 0x9f], // DEL and the C1 controls (U+0085 is a line break too)
  [0x061c, 0x061c], // Arabic letter mark
  [0x200e, 0x200f], // left-to-right and right-to-left marks
  [0x2028, 0x2029], // line and paragraph separators
  [0x202a, 0x202e], // bidirectional embeddings and overrides
  [0x2066, 0x2069], // bidirectional isolates
];

/** The first code point of `text` that a plain line refuses, or undefined when there is none. */
export function firstForbiddenChar(text: string): number | undefined {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (FORBIDDEN.some(([from, to]) => code >= from && code <= to)) {
      return code;
    }
  }
  return undefined;
}

/** True when `text` has no control character, line break or bidirectional control. */
export function isPlainText(text: string): boolean {
  return firstForbiddenChar(text) === undefined;
}

/** `U+202E` for 0x202e. */
function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The validation message for `text`, naming the first forbidden character. */
export function plainTextMessage(text: string): string {
  const code = firstForbiddenChar(text);
  return `must not contain control characters, line breaks or bidirectional overrides${
    code === undefined ? '' : ` (${codePointName(code)})`
  }`;
}

/**
 * A trimmed single line of 1 to `max` characters without control characters, line breaks or
 * bidirectional controls; the message names the first such character found.
 * @example plainLine(100).parse('  Zoë  ') // 'Zoë'
 */
export function plainLine(max: number): z.ZodString {
  // Checked before trimming: a trailing line break is refused, not silently cut off.
  return z
    .string()
    .check((ctx) => {
      if (!isPlainText(ctx.value)) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: plainTextMessage(ctx.value) });
      }
    })
    .trim()
    .min(1)
    .max(max);
}

/**
 * A record's name checked outside a request schema (services and `hallmark admin`): trimmed, 1 to
 * `max` characters, plain text.
 * @throws AppError `<what>.name_invalid` (400) with the name in the detail
 */
export function plainName(raw: string, what: string, max: number): string {
  const name = raw.trim();
  if (!isPlainText(raw)) {
    throw invalid(`${what}.name_invalid`, `A ${what} name ${plainTextMessage(raw)}.`, {
      name: raw,
    });
  }
  if (name.length === 0 || name.length > max) {
    throw invalid(
      `${what}.name_invalid`,
      `A ${what} name must be 1 to ${max} characters without control characters.`,
      { name: raw },
    );
  }
  return name;
}
