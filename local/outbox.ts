/** The local outbox: where alerts and e-mails land instead of SNS and SES. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertPublisher, UploadAlert } from '../core/ports.ts';

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

/** Writes each near-real-time alert as a JSON file under `dir`. */
export class OutboxAlertPublisher implements AlertPublisher {
  readonly sent: UploadAlert[] = [];

  constructor(private readonly dir: string) {}

  async publish(alert: UploadAlert): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = `${alert.time.replace(/[:.]/g, '-')}-${alert.status}-${safe(alert.key)}.json`;
    await writeFile(
      join(this.dir, name),
      `${JSON.stringify(alert, null, 2)}\n`,
    );
    this.sent.push(alert);
  }
}
