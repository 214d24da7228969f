/**
 * The digest e-mail through Amazon SES: the MIME message is built with
 * nodemailer's MailComposer (multipart/mixed: text and HTML alternatives,
 * then the attachments) and sent as is with SendRawEmail, so the message
 * kept for the auditor is byte for byte the one sent. (nodemailer's own SES
 * transport is not used: since nodemailer 7 it needs SESv2 and, given a
 * v1 command, reports success while sending nothing.)
 */
import {
  AccountSendingPausedException,
  ConfigurationSetDoesNotExistException,
  ConfigurationSetSendingPausedException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  type SESClient,
  SendRawEmailCommand,
} from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { DigestEmail, Mailer } from '../../core/digest/ports.ts';
import { DigestSendError } from '../../core/errors.ts';

/** The MIME message of an e-mail (Bcc never written). */
export async function composeMime(email: DigestEmail): Promise<Uint8Array> {
  const node = new MailComposer({
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    headers: email.headers,
    attachments: email.attachments.map((a) => ({
      filename: a.filename,
      content:
        typeof a.content === 'string' ? a.content : Buffer.from(a.content),
      contentType: a.contentType,
    })),
  }).compile();
  return new Promise((resolve, reject) =>
    node.build((err, buf) => (err === null ? resolve(buf) : reject(err))),
  );
}

/**
 * SES errors a retry does not fix: the message or the account is refused
 * (a message over 10 MB is refused as `InvalidParameterValue`, a name the
 * SDK has no class for).
 */
const REFUSED_NAMES = new Set(['InvalidParameterValue']);
const REFUSALS = [
  MessageRejected,
  MailFromDomainNotVerifiedException,
  ConfigurationSetDoesNotExistException,
  ConfigurationSetSendingPausedException,
  AccountSendingPausedException,
];

export interface SesMailerOptions {
  client: SESClient;
  /** A configuration set for sending events (optional). */
  configurationSet?: string;
}

/**
 * `Mailer` over SES SendRawEmail. Refusals become `DigestSendError` (the
 * workflow alerts the admin); throttling and service errors are left to
 * throw with their own names, so the workflow retries them.
 */
export class SesMailer implements Mailer {
  constructor(private readonly o: SesMailerOptions) {}

  compose(email: DigestEmail): Promise<Uint8Array> {
    return composeMime(email);
  }

  async send(
    raw: Uint8Array,
    from: string,
    to: readonly string[],
  ): Promise<string> {
    try {
      const out = await this.o.client.send(
        new SendRawEmailCommand({
          RawMessage: { Data: raw },
          Source: from,
          Destinations: [...to],
          ConfigurationSetName: this.o.configurationSet,
        }),
      );
      if (out.MessageId === undefined || out.MessageId === '')
        throw new DigestSendError(
          'SES answered SendRawEmail without a message id',
        );
      return out.MessageId;
    } catch (err) {
      if (
        REFUSALS.some((c) => err instanceof c) ||
        (err instanceof Error && REFUSED_NAMES.has(err.name))
      ) {
        const e = err as Error;
        throw new DigestSendError(
          `SES refused the digest: ${e.name}: ${e.message}`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }
}
