/** The local outbox: where alerts and e-mails land instead of SNS and SES. */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertPublisher, UploadAlert } from '../core/ports.ts';

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

/**
 * Writes each near-real-time alert as a JSON file under `dir`, named by
 * the alert's identity: an alert published twice lands on one file, but
 * `sent` lists every publication (what tests count).
 */
export class OutboxAlertPublisher implements AlertPublisher {
  readonly sent: UploadAlert[] = [];

  constructor(private readonly dir: string) {}

  async publish(alert: UploadAlert): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const id = createHash('sha256')
      .update(`${alert.bucket}\u0000${alert.key}\u0000${alert.alertId}`)
      .digest('hex')
      .slice(0, 12);
    const name = `${alert.time.replace(/[:.]/g, '-')}-${alert.status}-${safe(alert.key)}-${id}.json`;
    await writeFile(
      join(this.dir, name),
      `${JSON.stringify(alert, null, 2)}\n`,
    );
    this.sent.push(alert);
  }
}
