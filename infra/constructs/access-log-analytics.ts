/**
 * The Athena side: a Glue database and table over the access logs (the
 * table as data from `workflows/sql/access-log-table.ts`, partition
 * projection over the date-partitioned layout), a workgroup that enforces
 * its configuration (encrypted results in their own bucket, a per-query
 * bytes-scanned cutoff), and the grants to run and read the query.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ACCESS_LOG_COLUMNS,
  ACCESS_LOG_PARTITION_KEYS,
  accessLogLocation,
  accessLogSerdeParameters,
  accessLogTableParameters,
  REGEX_SERDE,
  type TableColumn,
  TEXT_INPUT_FORMAT,
  TEXT_OUTPUT_FORMAT,
} from '../../workflows/sql/access-log-table.ts';
import { acknowledgeWildcards } from '../nag.ts';
import type { LogBucket } from './log-bucket.ts';
import { expireAfter, PRIVATE_BUCKET } from './private-bucket.ts';

export interface AccessLogAnalyticsProps {
  /** Where the logs are (its log prefix is part of the table's location). */
  readonly logBucket: LogBucket;
  /** The bucket whose logs the table reads. */
  readonly source: IBucket;
  /**
   * First partition date of the projection (`yyyy/MM/dd`); the range runs
   * to NOW. Queries always name their dates, so this is only a floor.
   * @default '2024/01/01'
   */
  readonly projectionStart?: string;
  /**
   * Athena cancels a query that would scan more than this.
   * @default 10 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Days query results are kept.
   * @default 7
   */
  readonly resultsRetentionDays?: number;
}

const GIB = 1024 ** 3;

/** Glue/Athena names: lowercase letters, digits and underscores. */
function glueName(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

function columns(cs: readonly TableColumn[]): CfnTable.ColumnProperty[] {
  return cs.map((c) => ({ name: c.name, type: c.type, comment: c.comment }));
}

/** The Glue table, the workgroup and the results bucket. */
export class AccessLogAnalytics extends Construct {
  readonly databaseName: string;
  readonly tableName: string;
  readonly workGroupName: string;
  readonly resultsBucket: Bucket;
  readonly workGroup: CfnWorkGroup;
  readonly table: CfnTable;
  /** Key prefix of the results inside the results bucket. */
  readonly resultsPrefix = 'results/';
  private readonly logBucket: LogBucket;
  private readonly source: IBucket;

  constructor(scope: Construct, id: string, props: AccessLogAnalyticsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.logBucket = props.logBucket;
    this.source = props.source;
    // Derived from the stack name, so parallel stacks do not collide.
    this.databaseName = glueName(`${stack.stackName}_logs`);
    this.tableName = 'access_log';
    this.workGroupName = `${stack.stackName}-reconcile`;

    const database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'upload-sentinel: S3 server access logs',
      },
    });

    const options = {
      database: this.databaseName,
      table: this.tableName,
      logBucket: props.logBucket.bucket.bucketName,
      logPrefix: props.logBucket.logPrefix,
      accountId: stack.account,
      region: stack.region,
      sourceBucket: props.source.bucketName,
      projectionStart: props.projectionStart ?? '2024/01/01',
    };
    this.table = new CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description:
          'Server access logs of the recordings bucket, one row per line (workflows/sql/access-log-table.ts)',
        tableType: 'EXTERNAL_TABLE',
        parameters: accessLogTableParameters(options),
        partitionKeys: columns(ACCESS_LOG_PARTITION_KEYS),
        storageDescriptor: {
          columns: columns(ACCESS_LOG_COLUMNS),
          location: accessLogLocation(options),
          inputFormat: TEXT_INPUT_FORMAT,
          outputFormat: TEXT_OUTPUT_FORMAT,
          serdeInfo: {
            serializationLibrary: REGEX_SERDE,
            parameters: accessLogSerdeParameters(),
          },
        },
      },
    });
    this.table.node.addDependency(database);

    this.resultsBucket = new Bucket(this, 'ResultsBucket', {
      ...PRIVATE_BUCKET,
      // Not empty when the stack goes: kept, and emptied by its lifecycle.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        expireAfter('expire-query-results', props.resultsRetentionDays ?? 7),
      ],
    });
    Validations.of(this.resultsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds Athena query results only, written and read by the roles of this stack and expired after days; the queries themselves are recorded by Athena and CloudTrail.',
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'upload-sentinel daily reconciliation',
      state: 'ENABLED',
      // The workgroup keeps its query history: let the stack delete it.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery:
          props.bytesScannedCutoffPerQuery ?? 10 * GIB,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject(this.resultsPrefix),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
          expectedBucketOwner: stack.account,
        },
      },
    });
  }

  /** ARN of the workgroup. */
  get workGroupArn(): string {
    return Stack.of(this).formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: this.workGroup.ref,
    });
  }

  private get resultObjects(): string {
    return this.resultsBucket.arnForObjects(`${this.resultsPrefix}*`);
  }

  /** ARN of the default Glue catalog as Athena names it (`AwsDataCatalog`). */
  get dataCatalogArn(): string {
    return Stack.of(this).formatArn({
      service: 'athena',
      resource: 'datacatalog',
      resourceName: 'AwsDataCatalog',
    });
  }

  /**
   * Runs the reconciliation query (a state machine's
   * `athena:startQueryExecution.sync`: start it, poll it, stop it on
   * timeout). Athena runs it with the caller's permissions, so the caller
   * reads the Glue table and the logs and writes the results. The caller
   * does not read the results: the reconcile function does
   * (`grantReadResults`).
   */
  grantStartQuery(grantee: IGrantable): void {
    const stack = Stack.of(this);
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:StopQueryExecution',
        ],
        resources: [this.workGroupArn],
      }),
    );
    // The policy Step Functions generates for `.sync` (and CDK's
    // AthenaStartQueryExecution task) also allows reading the catalog the
    // query names: the default one only.
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['athena:GetDataCatalog'],
        resources: [this.dataCatalogArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({
            service: 'glue',
            resource: 'database',
            resourceName: this.databaseName,
          }),
          stack.formatArn({
            service: 'glue',
            resource: 'table',
            resourceName: `${this.databaseName}/${this.tableName}`,
          }),
        ],
      }),
    );
    this.logBucket.grantQueryLogs(grantee, this.source);
    // The results bucket is Athena's alone. Listing it is not limited to
    // the output prefix: Athena checks its output bucket before it runs a
    // query, and a request without an `s3:prefix` would be refused.
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket'],
        resources: [this.resultsBucket.bucketArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          's3:GetObject',
          's3:PutObject',
          's3:AbortMultipartUpload',
          's3:ListMultipartUploadParts',
        ],
        resources: [this.resultObjects],
      }),
    );
    acknowledgeWildcards(
      grantee,
      [this.resultObjects],
      'Athena names each result object after its query id; the grant is limited to the results prefix of the results bucket.',
    );
  }

  /**
   * Reads a finished query's results, given its execution id (the reconcile
   * function): GetQueryResults only, which reads the result object from S3
   * with the caller's permissions. No environment: the id comes in the
   * event, and the workgroup fixes where results are.
   */
  grantReadResults(grantee: IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['athena:GetQueryResults'],
        resources: [this.workGroupArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.resultObjects],
      }),
    );
    acknowledgeWildcards(
      grantee,
      [this.resultObjects],
      'Athena names each result object after its query id; the grant is read-only and limited to the results prefix.',
    );
  }
}
