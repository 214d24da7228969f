/**
 * The local stand-ins hold AWS's limits, so the suite fails where AWS
 * would: SES's 10 MB raw message, a function URL's 6 MB response, Step
 * Functions' 256 KB state payload, DynamoDB's 400 KB item. Each test shows
 * the limit bites just over it and lets through what is just under.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesMailer } from '../../adapters/ses/ses-mailer.ts';
import { UploadsTableSchema as T } from '../../config/table.ts';
import { SES_MAX_MESSAGE_BYTES } from '../../core/digest/email.ts';
import { DigestSendError } from '../../core/errors.ts';
import { logger } from '../../handlers/logger.ts';
import { LocalDigest, STATE_PAYLOAD_MAX_BYTES } from '../../local/digest.ts';
import {
  LAMBDA_RESPONSE_MAX_BYTES,
  LocalFunctionUrl,
} from '../../local/function-url.ts';
import { LocalSes } from '../../local/ses.ts';
import { DYNAMODB_MAX_ITEM_KB, LocalStack } from '../../local/stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  stack = await LocalStack.start({ stateDir: null, s3: true });
});

afterAll(async () => {
  await stack?.stop();
});

/** A plain-text message of exactly `bytes` bytes. */
function messageOf(bytes: number): Buffer {
  const head = Buffer.from(
    'From: s@example.com\r\nTo: r@example.com\r\nSubject: size\r\nContent-Type: text/plain\r\n\r\n',
  );
  const lines = Buffer.alloc(bytes - head.length, 'x');
  for (let i = 76; i < lines.length; i += 78) lines.write('\r\n', i - 2);
  return Buffer.concat([head, lines]);
}

describe('SES: a raw message over 10 MB is refused', () => {
  it('refuses 10,485,761 bytes as SES does, takes 10,485,760', {
    timeout: 120_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sentinel-ses-limit-'));
    const ses = await LocalSes.start({
      outboxDir: dir,
      verified: ['s@example.com', 'r@example.com'],
    });
    const client = new SESClient({
      endpoint: ses.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'L', secretAccessKey: 'L' },
      maxAttempts: 1,
    });
    const mailer = new SesMailer({ client });
    try {
      const at = messageOf(SES_MAX_MESSAGE_BYTES);
      expect(at.length).toBe(SES_MAX_MESSAGE_BYTES);
      await expect(
        mailer.send(at, 's@example.com', ['r@example.com']),
      ).resolves.toMatch(/^local-/);
      const over = messageOf(SES_MAX_MESSAGE_BYTES + 1);
      const refused = mailer.send(over, 's@example.com', ['r@example.com']);
      await expect(refused).rejects.toThrow(DigestSendError);
      await expect(refused).rejects.toThrow(
        `SES refused the digest: InvalidParameterValue: Message length is more than 10485760 bytes long: '10485761'.`,
      );
      expect(ses.sent).toHaveLength(1);
    } finally {
      client.destroy();
      await ses.stop();
    }
  });
});

describe('Lambda function URL: a response over 6 MB is not delivered', () => {
  it('answers 502 for a payload of 6,291,557 bytes, delivers 6,291,556', async () => {
    // The payload is the handler's result as JSON: size the body to it.
    const result = (body: string) => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain' },
      body,
    });
    const envelope = JSON.stringify(result('')).length;
    const url = await LocalFunctionUrl.start(async (event) =>
      result(
        'x'.repeat(
          LAMBDA_RESPONSE_MAX_BYTES -
            envelope +
            Number(event.queryStringParameters?.extra ?? 0),
        ),
      ),
    );
    try {
      const ok = await fetch(`${url.url}/?extra=0`);
      expect(ok.status).toBe(200);
      expect((await ok.text()).length).toBe(
        LAMBDA_RESPONSE_MAX_BYTES - envelope,
      );
      const tooBig = await fetch(`${url.url}/?extra=1`);
      expect(tooBig.status).toBe(502);
      expect(tooBig.headers.get('x-amzn-errortype')).toBe(
        'Function.ResponseSizeTooLarge',
      );
      expect(await tooBig.text()).toContain(
        'Exceeded maximum allowed payload size (6291556 bytes).',
      );
    } finally {
      await url.stop();
    }
  });
});

describe('Step Functions: a state payload over 256 KB ends the execution', () => {
  const sized = (bytes: number) => {
    const empty = JSON.stringify({ pad: '' }).length;
    return { pad: 'x'.repeat(bytes - empty) };
  };

  it('a Task result of 256 KB + 1 byte fails the run with States.DataLimitExceeded, uncaught', {
    timeout: 120_000,
  }, async () => {
    const d = await LocalDigest.start({
      stack,
      bindings: {
        ResolveDay: async () => sized(STATE_PAYLOAD_MAX_BYTES + 1),
      },
    });
    try {
      const run = await d.run({ date: '2026-03-14' });
      expect(run.status).toBe('FAILED');
      expect(run.error?.name).toBe('States.DataLimitExceeded');
      expect(run.error?.cause).toContain("state 'ResolveDay'");
      // Terminal: no Catch ran, no admin notice from the workflow.
      expect(run.path).toEqual(['ResolveDay']);
      expect(run.notices).toEqual([]);
    } finally {
      await d.stop();
    }
  });

  it('a state output over 256 KB, merged from an input and a result each under it, fails it too', {
    timeout: 120_000,
  }, async () => {
    // ResolveDay's result lands at $.day, next to the execution input:
    // each half the limit and a bit, together over it.
    const half = STATE_PAYLOAD_MAX_BYTES / 2 + 100;
    const d = await LocalDigest.start({
      stack,
      bindings: { ResolveDay: async () => sized(half) },
    });
    try {
      const run = await d.run({ date: '2026-03-14', ...sized(half) });
      expect(run.status).toBe('FAILED');
      expect(run.error?.name).toBe('States.DataLimitExceeded');
      expect(run.error?.cause).toContain("output of state 'ResolveDay'");
      expect(run.notices).toEqual([]);
    } finally {
      await d.stop();
    }
  });

  it('a Task result just under 256 KB goes on', {
    timeout: 120_000,
  }, async () => {
    const reached: string[] = [];
    const d = await LocalDigest.start({
      stack,
      bindings: {
        ResolveDay: async () => sized(STATE_PAYLOAD_MAX_BYTES - 2048),
        QueryAthena: async () => {
          reached.push('QueryAthena');
          throw Object.assign(new Error('stop here'), { name: 'Stop' });
        },
      },
    });
    try {
      const run = await d.run({ date: '2026-03-14' });
      expect(run.error?.name).not.toBe('States.DataLimitExceeded');
      expect(run.path[1]).toBe('QueryAthena');
    } finally {
      await d.stop();
    }
  });
});

describe('DynamoDB: an item over 400 KB is refused', () => {
  const put = (bytes: number) => {
    // Attribute names count: pk, sk and st are 6 bytes, 'K#x' and 'C#x' 6.
    const value = 'x'.repeat(bytes - 12);
    return stack.dynamo.send(
      new PutItemCommand({
        TableName: stack.tableName,
        Item: {
          [T.partitionKey]: { S: 'K#x' },
          [T.sortKey]: { S: 'C#x' },
          st: { S: value },
        },
      }),
    );
  };

  it('refuses 400 KB + 1 byte, takes 400 KB', async () => {
    const limit = DYNAMODB_MAX_ITEM_KB * 1024;
    await expect(put(limit)).resolves.toBeDefined();
    await expect(put(limit + 1)).rejects.toThrow(
      'Item size has exceeded the maximum allowed size',
    );
  });
});
