/**
 * The embedded local runtime (docs/architecture.md): dynalite for DynamoDB and
 * s3rver for S3, in-process on free ports, persisted under the state folder.
 * An object put into the local log bucket raises an S3 event notification
 * that travels through a local SQS stand-in to the real ingest handler, the
 * same path as in AWS. The SDK clients talk to the stand-ins through their
 * endpoints, so the adapters exercised are the production adapters.
 */
import {
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ClassicLevel } from 'classic-level';
import dynalite from 'dynalite';
import type S3rver from 's3rver';
import { ensureUploadsTable } from '../adapters/dynamodb/table-admin.ts';
import { DynamoDbUploadStore } from '../adapters/dynamodb/upload-store.ts';
import { S3LogSource } from '../adapters/s3/log-source.ts';
import { DEFAULT_MANIFEST_PREFIX } from '../config/stack-outputs.ts';
import type {
  BatchResult,
  IngestObjectResult,
} from '../core/ingest/ingest-batch.ts';
import type { ManifestIngestResult } from '../core/ingest/ingest-manifest.ts';
import type { KeyPattern } from '../core/manifest/key-pattern.ts';
import { DEFAULT_STALL_WINDOW_MS } from '../core/model/status.ts';
import {
  createIngestHandler,
  type IngestHandler,
  type IngestMetrics,
} from '../handlers/ingest.ts';
import { LocalError } from './errors.ts';
import { checkLevelDb, type VerifiedTables } from './leveldb-check.ts';
import { OutboxAlertPublisher } from './outbox.ts';
import { LocalQueue, objectCreatedEvent } from './queue.ts';

export const LOCAL_TABLE = 'upload-sentinel-uploads';
/**
 * The lock file a command holds in the state folder while it runs (the CLI
 * takes it; see docs/local-state.md).
 */
export const STATE_LOCK = 'in-use.lock';

/** DynamoDB's limit on an item (attribute names and values), in KB. */
export const DYNAMODB_MAX_ITEM_KB = 400;
export const LOCAL_LOG_BUCKET = 'upload-sentinel-logs';
export const LOCAL_RECORDINGS_BUCKET = 'rec-archive-prod';
/** Where the local digest keeps its reports, as the reports bucket does in AWS. */
export const LOCAL_REPORTS_BUCKET = 'upload-sentinel-reports';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'us-east-1';

export interface LocalStackOptions {
  /** Where data persists; a temporary folder (deleted on stop) when null. */
  stateDir: string | null;
  /** Start s3rver and the event path to the ingest handler (default true). */
  s3?: boolean;
  stallWindowMs?: number;
  /** Messages the ingest handler processes at once (default 4). */
  ingestConcurrency?: number;
  /** Called last by `stop()` (the CLI releases its lock of the folder). */
  onStop?: () => Promise<void>;
  /** Builds the keys of manifest rows that give a call id (default none). */
  manifestKeyPattern?: KeyPattern | null;
}

/** Sums what the ingest handler reports, for the CLI and tests. */
export class CollectingMetrics implements IngestMetrics {
  readonly totals = {
    objects: 0,
    skipped: 0,
    lines: 0,
    uploadRequests: 0,
    malformed: 0,
    /** Write calls to the index (a batch of up to 25 items counts one). */
    storeWrites: 0,
    /** Items written to the index (each item of a batch counts). */
    storeItemWrites: 0,
    alerts: 0,
    maxLagMs: 0,
    /** Manifests read, and of them rejected for their content. */
    manifests: 0,
    manifestsRejected: 0,
    expectedRecordings: 0,
    manifestRowsRejected: 0,
  };
  /** What each manifest read gave, in the order read. */
  readonly manifests: ManifestIngestResult[] = [];

  object(r: IngestObjectResult, lagMs: number | null): void {
    if (r.skipped !== null) {
      this.totals.skipped++;
      return;
    }
    this.totals.objects++;
    this.totals.lines += r.lines;
    this.totals.uploadRequests += r.uploadRequests;
    this.totals.malformed += r.malformed;
    if (lagMs !== null)
      this.totals.maxLagMs = Math.max(this.totals.maxLagMs, lagMs);
  }

  manifest(r: ManifestIngestResult): void {
    const s = r.receipt.summary;
    this.manifests.push(r);
    this.totals.manifests++;
    if (s.rejected !== null) this.totals.manifestsRejected++;
    this.totals.expectedRecordings += s.expected;
    this.totals.manifestRowsRejected += s.rejectedRows;
  }

  batch(r: BatchResult): void {
    this.totals.storeWrites += r.storeWrites.requests;
    this.totals.storeItemWrites += r.storeWrites.items;
    this.totals.alerts += r.alerts;
  }

  flush(): void {}
}

/**
 * The index's tables already verified (`VerifiedTables`), kept beside the
 * LevelDB folder, never in it: a lookup re-reads only tables written since.
 */
const VERIFIED_TABLES = 'dynamodb-verified.json';

async function readVerified(file: string): Promise<VerifiedTables> {
  try {
    const v: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof v === 'object' && v !== null ? (v as VerifiedTables) : {};
  } catch {
    return {}; // none yet, or unreadable: every table is read
  }
}

async function writeVerified(file: string, v: VerifiedTables): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(v)}\n`);
  await rename(tmp, file);
}

/**
 * The local index under the state folder is damaged: refused before
 * anything opened it, so no byte of it changed (docs/local-state.md).
 */
export class StateDamagedError extends LocalError {
  override readonly name: string = 'StateDamagedError';

  constructor(
    readonly dir: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `the local index in ${dir} is damaged: ${reason}. Nothing was changed; see docs/local-state.md to recover, or use another --state`,
      options,
    );
  }
}

/** Another process holds the state folder. */
export class StateInUseError extends LocalError {
  override readonly name: string = 'StateInUseError';

  constructor(dir: string, options?: ErrorOptions) {
    super(
      `the state folder ${dir} is in use by another upload-sentinel process; wait for it or use another --state`,
      options,
    );
  }
}

/**
 * Opens the index with LevelDB and closes it again: `StateInUseError` when
 * another process holds it. `createIfMissing` is off: the folder was
 * checked and holds an index, which must never be replaced by a new one.
 */
async function probeOpen(indexDir: string, stateDir: string): Promise<void> {
  const db = new ClassicLevel(indexDir, { createIfMissing: false });
  try {
    await db.open({ createIfMissing: false, errorIfExists: false });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } })
      .cause;
    if (cause?.code === 'LEVEL_LOCKED')
      throw new StateInUseError(stateDir, { cause: err });
    throw new StateDamagedError(
      stateDir,
      `LevelDB cannot open it: ${cause?.message ?? (err as Error).message}`,
      { cause: err },
    );
  } finally {
    await db.close();
  }
}

export class LocalStack {
  readonly tableName = LOCAL_TABLE;
  readonly logBucket = LOCAL_LOG_BUCKET;
  readonly recordingsBucket = LOCAL_RECORDINGS_BUCKET;
  readonly reportsBucket = LOCAL_REPORTS_BUCKET;
  readonly results: BatchResult[] = [];
  readonly metrics = new CollectingMetrics();
  queue: LocalQueue | null = null;
  s3: S3Client | null = null;
  ingest: IngestHandler | null = null;
  alerts: OutboxAlertPublisher;
  store: DynamoDbUploadStore;
  private s3rver: S3rver | null = null;
  s3Endpoint: string | null = null;

  private constructor(
    readonly stateDir: string,
    private readonly temporary: boolean,
    private readonly dynaliteServer: ReturnType<typeof dynalite>,
    readonly dynamo: DynamoDBClient,
    readonly dynamoEndpoint: string,
    private readonly onStop?: () => Promise<void>,
  ) {
    this.alerts = new OutboxAlertPublisher(join(stateDir, 'outbox', 'alerts'));
    this.store = new DynamoDbUploadStore({
      client: dynamo,
      tableName: LOCAL_TABLE,
      retentionDays: 400,
    });
  }

  get deadLetterDir(): string {
    return join(this.stateDir, 'dlq');
  }

  get outboxDir(): string {
    return join(this.stateDir, 'outbox');
  }

  /** s3rver's folder: one sub-folder per bucket, one file per object. */
  get s3Dir(): string {
    return join(this.stateDir, 's3');
  }

  static async start(o: LocalStackOptions): Promise<LocalStack> {
    const temporary = o.stateDir === null;
    const stateDir =
      o.stateDir ?? (await mkdtemp(join(tmpdir(), 'sentinel-state-')));
    await mkdir(stateDir, { recursive: true });
    const indexDir = join(stateDir, 'dynamodb');
    if (!temporary) {
      // Read-only, before dynalite opens it: LevelDB would make a folder
      // without CURRENT a new, empty index and delete the data files, and
      // fails deep inside dynalite on a damaged table.
      const verifiedFile = join(stateDir, VERIFIED_TABLES);
      const check = await checkLevelDb(
        indexDir,
        await readVerified(verifiedFile),
      );
      if (check.state === 'damaged')
        throw new StateDamagedError(stateDir, check.reason);
      if (check.state === 'ok')
        await writeVerified(verifiedFile, check.verified);
      // LevelDB's own lock decides whether another process has it open: a
      // failed open inside dynalite surfaces only as errors thrown from its
      // callbacks. Never created here (dynalite creates a new index).
      if (check.state === 'ok') await probeOpen(indexDir, stateDir);
    }
    const server = dynalite({
      path: temporary ? undefined : indexDir,
      // DynamoDB's item limit, 400 KB (dynalite's default, stated here).
      maxItemSizeKb: DYNAMODB_MAX_ITEM_KB,
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const endpoint = `http://127.0.0.1:${port}`;
    const dynamo = new DynamoDBClient({
      endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      maxAttempts: 3,
    });
    const stack = new LocalStack(
      stateDir,
      temporary,
      server,
      dynamo,
      endpoint,
      o.onStop,
    );
    try {
      await dynamo.send(new ListTablesCommand({}));
    } catch (err) {
      await stack.stop();
      if (/lock/i.test(String((err as Error).message)))
        throw new StateInUseError(stateDir, { cause: err });
      throw err;
    }
    await ensureUploadsTable(dynamo, LOCAL_TABLE);
    if (o.s3 ?? true) await stack.startS3(o);
    return stack;
  }

  private async startS3(o: LocalStackOptions): Promise<void> {
    // Loaded only here: a lookup, which needs no S3, does not pay for it.
    const { default: S3rverServer } = await import('s3rver');
    const s3rver = new S3rverServer({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: this.s3Dir,
      configureBuckets: [
        { name: LOCAL_LOG_BUCKET },
        { name: LOCAL_RECORDINGS_BUCKET },
        { name: LOCAL_REPORTS_BUCKET },
      ],
    });
    const addr = (await s3rver.run()) as AddressInfo;
    this.s3rver = s3rver;
    this.s3Endpoint = `http://127.0.0.1:${addr.port}`;
    this.s3 = new S3Client({
      endpoint: this.s3Endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await this.s3
      .send(new CreateBucketCommand({ Bucket: LOCAL_LOG_BUCKET }))
      .catch(() => {});
    this.ingest = createIngestHandler({
      source: new S3LogSource(this.s3),
      store: this.store,
      alerts: this.alerts,
      logPrefix: '',
      watchPrefix: '',
      manifests: {
        prefix: DEFAULT_MANIFEST_PREFIX,
        defaultBucket: LOCAL_RECORDINGS_BUCKET,
        keyPattern: o.manifestKeyPattern ?? null,
      },
      stallWindowMs: o.stallWindowMs ?? DEFAULT_STALL_WINDOW_MS,
      concurrency: o.ingestConcurrency ?? 4,
      metrics: this.metrics,
      now: Date.now,
      onResult: (r) => this.results.push(r),
      onMessageFailed: (id, reason) => this.queue?.failed(id, reason),
    });
    this.queue = new LocalQueue({
      handler: this.ingest,
      deadLetterDir: this.deadLetterDir,
    });
    // S3 event notification on every new object of the log bucket, as the
    // stack configures it in AWS.
    s3rver.on(
      'event',
      (e: {
        Records: {
          eventName: string;
          s3: {
            bucket: { name: string };
            object: { key: string; size?: number };
          };
        }[];
      }) => {
        for (const r of e.Records) {
          if (
            r.s3.bucket.name !== LOCAL_LOG_BUCKET ||
            !r.eventName.startsWith('ObjectCreated')
          )
            continue;
          this.queue?.send(
            objectCreatedEvent(
              r.s3.bucket.name,
              r.s3.object.key,
              r.s3.object.size ?? 0,
            ),
          );
        }
      },
    );
  }

  async stop(): Promise<void> {
    await this.queue?.drain();
    this.dynamo.destroy();
    this.s3?.destroy();
    if (this.s3rver !== null) await this.s3rver.close();
    await new Promise<void>((resolve) =>
      this.dynaliteServer.close(() => resolve()),
    );
    if (this.temporary)
      await rm(this.stateDir, { recursive: true, force: true });
    await this.onStop?.();
  }
}
