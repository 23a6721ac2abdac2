/**
 * Text from outside Hallmark's input checks — an image's labels, a package's vendor — shown so
 * that it cannot disguise itself: isolated from the text around it (`<bdi>`), and with every
 * bidirectional control and other invisible control character made visible as `⟨U+202E⟩`.
 * Names that users type are refused at input when they hold such characters (src/platform/text.ts).
 */
import { Fragment } from 'react';

/** Bidirectional controls (U+061C, U+200E–F, U+202A–E, U+2066–9) and C0/C1 controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'gu');

/** `⟨U+202E⟩` for a hidden character. */
function visible(char: string): string {
  return `⟨U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** Untrusted text, isolated and with hidden characters shown. */
export function PlainText({ children }: { children: string }) {
  if (!HIDDEN.test(children)) {
    return <bdi>{children}</bdi>;
  }
  const parts = children.split(HIDDEN_ALL);
  const hidden = children.match(HIDDEN_ALL) ?? [];
  return (
    <bdi>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < hidden.length ? <mark className="hm-hidden-char">{visible(hidden[i]!)}</mark> : null}
        </Fragment>
      ))}
    </bdi>
  );
}
