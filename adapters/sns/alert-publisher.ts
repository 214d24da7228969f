/** Near-real-time alerts and admin notifications through SNS. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertPublisher, UploadAlert } from '../../core/ports.ts';

/** Renders an alert as a short e-mail-friendly message. */
export function alertMessage(a: UploadAlert): {
  subject: string;
  message: string;
} {
  const subject = `[upload-sentinel] ${a.status}: ${a.key}`.slice(0, 99);
  const message = [
    `The upload of s3://${a.bucket}/${a.key} is ${a.status}.`,
    `Upload id: ${a.uploadId ?? '(none: single PUT or unknown)'}`,
    `Error codes: ${a.errorCodes.join(', ') || '(none)'}`,
    `Time: ${a.time}`,
    '',
    `Look it up: upload-sentinel status s3://${a.bucket}/${a.key}`,
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
        },
      }),
    );
  }
}
