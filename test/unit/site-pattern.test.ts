import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  keyPatternProblem,
  sitePatternProblem,
} from '../../config/patterns.ts';
import { parseKeyPattern } from '../../core/manifest/key-pattern.ts';
import { groupOf, parseSitePattern } from '../../core/sites/site-pattern.ts';

const compiled = (source: string) => {
  const p = parseSitePattern(source);
  if (typeof p === 'string') throw new Error(p);
  return p;
};

describe('site patterns', () => {
  it('name the group of a key by one of its folders', () => {
    const p = compiled('recordings/*/*/*/{site}/');
    expect(p.name).toBe('site');
    expect(groupOf(p, 'recordings/2026/03/14/ber-03/agent-1/call-1.tar')).toBe(
      'ber-03',
    );
    expect(groupOf(p, 'recordings/2026/03/14/ber-03/x.tar')).toBe('ber-03');
    // The group's folder must hold the key: a file there is no site.
    expect(groupOf(p, 'recordings/2026/03/14/file.tar')).toBeNull();
    expect(groupOf(p, 'config/recorder settings.json')).toBeNull();
    expect(groupOf(p, 'recordings//03/14/ber-03/x.tar')).toBeNull();
    expect(groupOf(compiled('{site}'), 'par-02/a.tar')).toBe('par-02');
    expect(groupOf(compiled('calls/{site}/in'), 'calls/x/in/a.tar')).toBe('x');
    expect(groupOf(compiled('calls/{site}/in'), 'calls/x/out/a.tar')).toBe(
      null,
    );
  });

  it('refuse what is not one, with the reason', () => {
    expect(parseSitePattern('recordings/*/*')).toMatch(/no \{group\}/);
    expect(parseSitePattern('{a}/{b}')).toMatch(/more than one/);
    expect(parseSitePattern('rec*/{site}')).toMatch(/mixes text/);
    expect(parseSitePattern('a//{site}')).toMatch(/empty segment/);
    expect(parseSitePattern('/a/{site}')).toMatch(/starts with/);
    expect(parseSitePattern('{1x}')).toMatch(/not a group name/);
  });
});

// The synth check (config/) and the compilers (core/) must accept exactly
// the same patterns, with the same reason.
const pieces = fc.constantFrom(
  'a',
  'recordings',
  '*',
  '/',
  '{site}',
  '{callId}',
  '{yyyy}',
  '{',
  '}',
  '{x y}',
  '',
  '\u0001',
  'é',
);
const patterns = fc.array(pieces, { maxLength: 8 }).map((p) => p.join(''));

describe('the synth check and the compilers agree', () => {
  it('on site patterns', () => {
    fc.assert(
      fc.property(patterns, (source) => {
        const p = parseSitePattern(source);
        expect(sitePatternProblem(source)).toBe(
          typeof p === 'string' ? p : null,
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('on key patterns', () => {
    fc.assert(
      fc.property(patterns, (source) => {
        const p = parseKeyPattern(source);
        expect(keyPatternProblem(source)).toBe(
          typeof p === 'string' ? p : null,
        );
      }),
      { numRuns: 2000 },
    );
  });
});
