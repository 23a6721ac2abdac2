import { describe, expect, it } from 'vitest';
import { firstForbiddenChar, isPlainText, plainLine } from './text.js';

describe('plainLine', () => {
  const name = plainLine(20);

  it.each([
    ['U+202E', 'Acme\u202Eevil'],
    ['U+000A', 'Ann\nBcc: x@example.com'],
    ['U+000D', 'Ann\r'],
    ['U+0000', 'Ann\u0000'],
    ['U+2028', 'Ann\u2028Lee'],
    ['U+2029', 'Ann\u2029'],
    ['U+0009', 'Ann\tLee'],
    ['U+007F', 'Ann\u007f'],
    ['U+0085', 'Ann\u0085'],
    ['U+200F', '\u200fAnn'],
    ['U+061C', 'Ann\u061c'],
    ['U+2066', 'Ann\u2066x\u2069'],
  ])('should refuse %s and name it in the message', (code, value) => {
    const result = name.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      `must not contain control characters, line breaks or bidirectional overrides (${code})`,
    );
  });

  it.each(['Zoë Ångström', 'José Núñez', '李小龙', 'Ελένη', 'Renée 🙂', "O'Brien-Smith"])(
    'should accept %s',
    (value) => {
      expect(name.parse(value)).toBe(value);
    },
  );

  it('should trim spaces and refuse a blank or too long line', () => {
    expect(name.parse('  Ann  ')).toBe('Ann');
    expect(name.safeParse('   ').success).toBe(false);
    expect(name.safeParse('x'.repeat(21)).success).toBe(false);
  });

  it('should refuse a line break at the end instead of trimming it away', () => {
    expect(name.safeParse('Ann\n').success).toBe(false);
  });
});

describe('isPlainText', () => {
  it('should report the first forbidden code point', () => {
    expect(isPlainText('plain')).toBe(true);
    expect(firstForbiddenChar('a\u202Ab\nc')).toBe(0x202a);
    expect(firstForbiddenChar('plain')).toBeUndefined();
  });
});
