import { describe, expect, it } from 'vitest';
import {
  bucketNameProblem,
  isBucketName,
  isEmailAddress,
  isRecord,
} from '../../core/validate.ts';

describe('bucketNameProblem', () => {
  it.each([
    'rec-archive-prod',
    'abc',
    'a'.repeat(63),
    'logs.example.com',
    'amzn-s3-demo-bucket1',
  ])('accepts %s', (name) => {
    expect(bucketNameProblem(name)).toBeNull();
    expect(isBucketName(name)).toBe(true);
  });

  it.each([
    ['ab', /not a valid/],
    ['a'.repeat(64), /not a valid/],
    ['Uppercase', /not a valid/],
    ['-starts-with-hyphen', /not a valid/],
    ['two..dots', /not a valid/],
    ['dot.-hyphen', /not a valid/],
    ['under_score', /not a valid/],
    ['192.168.5.4', /IP address/],
  ])('refuses %s', (name, reason) => {
    expect(bucketNameProblem(name)).toMatch(reason);
    expect(isBucketName(name)).toBe(false);
  });
});

describe('isEmailAddress', () => {
  it.each(['ops@example.com', 'a.b+c@mail.example.co.uk'])('accepts %s', (a) =>
    expect(isEmailAddress(a)).toBe(true),
  );
  it.each([
    'ops',
    'Ops <ops@example.com>',
    'a@b.com,c@d.com',
    'a b@example.com',
    'ops@example',
    `${'a'.repeat(250)}@example.com`,
  ])('refuses %s', (a) => expect(isEmailAddress(a)).toBe(false));
});

describe('isRecord', () => {
  it('is true for objects only', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord({ a: 1 })).toBe(true);
    for (const v of [null, [], 'x', 1, undefined, true])
      expect(isRecord(v)).toBe(false);
  });
});
