/**
 * Daily digest, send Task: reads the message the reconcile Task prepared
 * (the report's view with the rows the e-mail shows, and the attachment:
 * the CSV of every row needing attention, zipped when large), renders the
 * e-mail (HTML, text; the JSON report and the complete CSV, kept in the
 * reports bucket, named), keeps the MIME message next to the report and
 * sends it with SES SendRawEmail; returns the admin notice about recipients
 * left out, if any. Its memory does not grow with the day. Wiring only:
 * core/digest/send-digest.ts.
 *
 * Environment: SENTINEL_DIGEST_SENDER (read from the event, which carries
 * the checked sender; the variable must still be set, so a deployment
 * cannot drift), SENTINEL_REPORTS_BUCKET; optional SENTINEL_REPORTS_PREFIX.
 *
 * AWS calls: s3:GetObject (the prepared message, the attachment) and
 * s3:PutObject (the MIME message) on the reports bucket,
 * ses:SendRawEmail (from the sender identity).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import middy from '@middy/core';
import { S3ReportStore } from '../adapters/s3/report-store.ts';
import { SesMailer } from '../adapters/ses/ses-mailer.ts';
import { Env } from '../config/env.ts';
import { loadDigestConfig, requireSetting } from '../config/load-config.ts';
import {
  parseSendDigestEvent,
  type SendDigestResult,
} from '../core/digest/events.ts';
import { type SendDigestDeps, sendDigest } from '../core/digest/send-digest.ts';
import { DigestInputError } from '../core/errors.ts';
import { logger } from './logger.ts';

export interface SendDigestHandlerDeps extends SendDigestDeps {
  /** The configured sender: the event's must be the same. */
  sender: string;
}

export type SendDigestHandler = (event: unknown) => Promise<SendDigestResult>;

/** The handler, given its dependencies: the same code in Lambda and locally. */
export function createSendDigestHandler(
  deps: SendDigestHandlerDeps,
): SendDigestHandler {
  return async (event) => {
    const e = parseSendDigestEvent(event);
    if (e.recipients.sender !== deps.sender)
      throw new DigestInputError(
        `event.recipients.sender ${e.recipients.sender} is not the configured sender ${deps.sender}`,
      );
    const result = await sendDigest(e, deps);
    logger.info('digest sent', {
      messageId: result.messageId,
      recipients: result.to.length,
      email: result.email,
      notice: result.notice?.subject ?? null,
    });
    return result;
  };
}

let built: SendDigestHandler | undefined;

function build(): SendDigestHandler {
  const config = loadDigestConfig();
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  return createSendDigestHandler({
    sender: requireSetting(config.sender, Env.DIGEST_SENDER),
    reports: new S3ReportStore(
      s3,
      requireSetting(config.reportsBucket, Env.REPORTS_BUCKET),
    ),
    reportsPrefix: config.reportsPrefix,
    mailer: new SesMailer({ client: new SESClient({ maxAttempts: 5 }) }),
  });
}

export const handler = middy(async (event: unknown) => {
  built ??= build();
  return built(event);
}).use(injectLambdaContext(logger, { resetKeys: true }));
