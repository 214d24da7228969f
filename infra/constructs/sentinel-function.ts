/**
 * The shape every upload-sentinel Lambda shares: the current Node.js
 * runtime on arm64, bundled by the local esbuild (no Docker), its own role
 * with no managed policy, its own log group, and Powertools configured
 * through its environment variables.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  Charset,
  LogLevel,
  NodejsFunction,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: handler entries and the lock file are under it. */
export const PROJECT_ROOT = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
);

/** The Lambda runtime of every function (cdk-nag L1 wants the latest). */
export const SENTINEL_RUNTIME = Runtime.NODEJS_24_X;

/**
 * ESM output needs `require` for the few CommonJS dependencies that call it
 * (the AWS SDK's and Powertools' bundled CJS parts).
 */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __sentinelCreateRequire}from'node:module';const require=__sentinelCreateRequire(import.meta.url);";

export interface SentinelFunctionProps {
  /** Handler entry file, relative to the repository root (`handlers/ingest.ts`). */
  readonly entry: string;
  /** What the function does, for the console. */
  readonly description: string;
  /** `POWERTOOLS_SERVICE_NAME`: the `service` key of every log line and metric. */
  readonly serviceName: string;
  /**
   * `POWERTOOLS_LOG_LEVEL`.
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * `POWERTOOLS_METRICS_NAMESPACE`: CloudWatch namespace of the metrics.
   * @default 'UploadSentinel'
   */
  readonly metricsNamespace?: string;
  /**
   * Memory, in MB (CPU grows with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Longest invocation.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's log group keeps its events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Extra environment variables (constructs add theirs with `bind…`).
   * @default - only the Powertools variables
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * A `NodejsFunction` with the project's defaults. Its role starts empty
 * apart from writing to its own log group; every other permission comes
 * from a `grant…`/`bind…` call.
 */
export class SentinelFunction extends NodejsFunction {
  /** The handler file, relative to the repository root. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: SentinelFunctionProps) {
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.serviceName}`,
    });
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: SENTINEL_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        POWERTOOLS_METRICS_NAMESPACE:
          props.metricsNamespace ?? 'UploadSentinel',
        ...props.environment,
      },
      bundling: {
        // esbuild's target follows the runtime (node24).
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: false,
        charset: Charset.UTF8,
        logLevel: LogLevel.WARNING,
        banner: ESM_REQUIRE_BANNER,
        // Bundle the pinned AWS SDK clients too: the versions the tests ran
        // against, not whatever the runtime happens to ship.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    logGroup.grantWrite(role);
    this.entry = props.entry;
  }
}
