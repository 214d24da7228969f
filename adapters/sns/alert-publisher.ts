/** Near-real-time alerts and admin notifications through SNS. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertPublisher, UploadAlert } from '../../core/ports.ts';
import { shellQuote, visible } from '../../core/report/escape.ts';

/**
 * Renders an alert as a short e-mail-friendly message. Key, upload id and
 * error codes come from the logs: shown with `visible` (no line breaks or
 * control characters can forge lines), and the suggested command quotes the
 * URI so that pasting it runs nothing else (none is suggested for a key
 * with invisible characters, which cannot be pasted as shown).
 */
export function alertMessage(a: UploadAlert): {
  subject: string;
  message: string;
} {
  const uri = `s3://${a.bucket}/${a.key}`;
  const subject = `[upload-sentinel] ${a.status}: ${visible(a.key)}`.slice(
    0,
    99,
  );
  const message = [
    `The upload of ${visible(uri)} is ${a.status}.`,
    `Upload id: ${a.uploadId === null ? '(none: single PUT or unknown)' : visible(a.uploadId)}`,
    `Error codes: ${visible(a.errorCodes.join(', ')) || '(none)'}`,
    `Time: ${a.time}`,
    '',
    visible(uri) === uri
      ? `Look it up: upload-sentinel status ${shellQuote(uri)}`
      : 'The key holds control or invisible characters, shown escaped above.',
  ].join('\n');
  // SNS e-mail subjects must be ASCII without line breaks.
  return { subject: subject.replace(/[^\x20-\x7e]/g, '?'), message };
}

export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: UploadAlert): Promise<void> {
    const { subject, message } = alertMessage(alert);
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subject,
        Message: message,
        MessageAttributes: {
          status: { DataType: 'String', StringValue: alert.status },
          // One alert per upload: a subscriber may deduplicate on it.
          alertId: { DataType: 'String', StringValue: visible(alert.alertId) },
        },
      }),
    );
  }
}
