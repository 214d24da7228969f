import { describe, expect, it } from 'vitest';
import { parseLogObjectKey } from '../../core/access-log/log-object-key.ts';
import { parseS3Uri } from '../../core/s3-uri.ts';
import {
  decodeEventKey,
  parseMessageBody,
} from '../../handlers/sqs-s3-events.ts';
import { encodeEventKey, objectCreatedEvent } from '../../local/queue.ts';

describe('SQS message bodies', () => {
  it('reads S3 event notifications and decodes their keys', () => {
    const body = objectCreatedEvent('logs', 'a b/c+d%e é.log', 12);
    const eventTime = Date.parse(JSON.parse(body).Records[0].eventTime);
    expect(Number.isFinite(eventTime)).toBe(true);
    expect(parseMessageBody(body)).toEqual({
      kind: 'objects',
      objects: [
        {
          bucket: 'logs',
          key: 'a b/c+d%e é.log',
          size: 12,
          eventName: 'ObjectCreated:Put',
          // When S3 created the object: the arrival time of a manifest.
          eventTime,
        },
      ],
    });
    expect(encodeEventKey('a b/c+d')).toBe('a+b/c%2Bd');
    expect(decodeEventKey('a+b/c%2Bd')).toBe('a b/c+d');
    expect(decodeEventKey('%E0%A4%A')).toBeNull();
  });

  it('recognises the S3 test event', () => {
    expect(
      parseMessageBody(
        JSON.stringify({
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Bucket: 'logs',
        }),
      ),
    ).toEqual({ kind: 'test' });
  });

  it('reports anything else as invalid, with a reason', () => {
    for (const body of [
      'not json',
      '[]',
      '{"Records": "x"}',
      '{"Records": [{"s3": {}}]}',
      '{"hello": 1}',
    ]) {
      const r = parseMessageBody(body);
      expect(r.kind, body).toBe('invalid');
    }
  });
});

describe('log object names', () => {
  it('reads both layouts under any prefix', () => {
    expect(
      parseLogObjectKey('logs/2013-11-01-21-32-16-E568B2907131C0C0'),
    ).toMatchObject({ layout: 'simple', date: '2013-11-01' });
    expect(
      parseLogObjectKey('logs2013-11-01-21-32-16-E568B2907131C0C0'),
    ).toMatchObject({ layout: 'simple' });
    expect(
      parseLogObjectKey(
        's3-access-logs/111122223333/eu-west-1/rec-archive-prod/2026/03/14/2026-03-14-00-00-00-049DB0BBCD4A0084',
      ),
    ).toEqual({
      layout: 'partitioned',
      date: '2026-03-14',
      accountId: '111122223333',
      region: 'eu-west-1',
      sourceBucket: 'rec-archive-prod',
    });
  });

  it('gives a reason for what is not a log object', () => {
    expect(parseLogObjectKey('logs/README.txt')).toMatch(/not named like/);
    expect(parseLogObjectKey('logs/')).toMatch(/folder/);
    expect(
      parseLogObjectKey('other/2013-11-01-21-32-16-E568B2907131C0C0', 'logs/'),
    ).toMatch(/outside the log prefix/);
  });
});

describe('s3:// URIs', () => {
  it('parses and validates', () => {
    expect(parseS3Uri('s3://rec-archive-prod/a b/c.tar')).toEqual({
      bucket: 'rec-archive-prod',
      key: 'a b/c.tar',
    });
    expect(
      parseS3Uri('s3://rec-archive-prod/', { keyRequired: false }),
    ).toEqual({ bucket: 'rec-archive-prod', key: '' });
    expect(parseS3Uri('http://x/y')).toMatch(/not an s3:\/\/ URI/);
    expect(parseS3Uri('s3://UPPER/x')).toMatch(/not a valid bucket name/);
    expect(parseS3Uri('s3://ok-bucket')).toMatch(/names no object key/);
  });
});
