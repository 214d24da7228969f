/** The depth of the ingest dead-letter queue, for the digest's log health. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterGauge } from '../../core/digest/ports.ts';

/**
 * Messages waiting in the queue (visible plus in flight), from
 * GetQueueAttributes; `null` when the call fails, so the digest says the
 * depth is unknown rather than failing for a figure.
 */
export class SqsDeadLetterGauge implements DeadLetterGauge {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async depth(): Promise<number | null> {
    try {
      const out = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
          ],
        }),
      );
      const a = out.Attributes ?? {};
      const n =
        Number(a.ApproximateNumberOfMessages ?? Number.NaN) +
        Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
      return Number.isSafeInteger(n) && n >= 0 ? n : null;
    } catch {
      return null;
    }
  }
}
