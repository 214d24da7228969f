/** Hostile text for escaping tests, shared by the digest and terminal tests. */
import fc from 'fast-check';

/** Controls, separators, bidi overrides and lone surrogates (newline apart). */
export const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what we look for
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Any UTF-16 text: markup, quotes, controls, bidi, surrogates (lone too). */
export const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '<',
      '>',
      '&',
      '"',
      "'",
      '`',
      '=',
      '+',
      '-',
      '@',
      ',',
      ';',
      '\t',
      '\r',
      '\n',
      '\r\n',
      '\u0000',
      '\u0085',
      '\u2028',
      '\u202e',
      '\ufeff',
      '\ud800',
      '\udfff',
      '&amp;',
      '<!--',
      ']]>',
      '</td>',
      '"><img src=x onerror=alert(1)>',
    ),
    fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  ),
  maxLength: 40,
});
