import { describe, expect, it } from 'vitest';
import { sanitizeDescription } from './sanitize.js';

describe('sanitizeDescription', () => {
  it('should keep the allowed subset', () => {
    const html =
      '<h2>Title</h2><p>Some <strong>bold</strong> and <em>em</em><br></p><ul><li>a</li></ul>' +
      '<pre><code>x</code></pre><blockquote>q</blockquote>';
    expect(sanitizeDescription(html)).toBe(
      '<h2>Title</h2><p>Some <strong>bold</strong> and <em>em</em><br /></p><ul><li>a</li></ul>' +
        '<pre><code>x</code></pre><blockquote>q</blockquote>',
    );
  });

  it('should drop scripts, handlers, styles and unknown tags', () => {
    const out = sanitizeDescription(
      '<p onclick="x()" style="color:red">Hi<script>alert(1)</script><img src=x onerror=alert(1)>' +
        '<iframe src="https://evil"></iframe><span>more</span></p><h1>big</h1>',
    );
    expect(out).toBe('<p>Himore</p>big');
  });

  it('should keep only http, https and mailto links', () => {
    expect(sanitizeDescription('<a href="javascript:alert(1)">x</a>')).toBe(
      '<a rel="nofollow noopener">x</a>',
    );
    expect(sanitizeDescription('<a href="https://acme.com" target="_blank">x</a>')).toBe(
      '<a href="https://acme.com" rel="nofollow noopener">x</a>',
    );
    expect(sanitizeDescription('<a href="mailto:a@b.c">m</a>')).toContain('href="mailto:a@b.c"');
    expect(sanitizeDescription('<a href="data:text/html,x">d</a>')).not.toContain('data:');
  });

  it('should escape text that looks like markup', () => {
    expect(sanitizeDescription('1 < 2 & "3"')).toBe('1 &lt; 2 &amp; "3"');
  });
});
