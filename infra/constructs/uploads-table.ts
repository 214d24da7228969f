/**
 * The uploads index: one DynamoDB table with the `byHour` index, on demand,
 * point-in-time recovery, deletion protection and TTL, its key schema from
 * `config/table.ts` (the same one the adapter and the local stack use).
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  ProjectionType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { Env } from '../../config/env.ts';
import { UploadsTableSchema as T } from '../../config/table.ts';

export interface UploadsTableProps {
  /**
   * Days an item is kept after its last activity (DynamoDB TTL on
   * `expiresAt`, which the ingest sets from `SENTINEL_RETENTION_DAYS`).
   * @default 400
   */
  readonly retentionDays?: number;
  /**
   * Refuse DeleteTable (the console, the API and CloudFormation alike).
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The uploads table and the grants of the functions that use it. */
export class UploadsTable extends Construct {
  readonly table: TableV2;
  readonly retentionDays: number;

  constructor(scope: Construct, id: string, props: UploadsTableProps = {}) {
    super(scope, id);
    this.retentionDays = props.retentionDays ?? 400;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: T.partitionKey, type: AttributeType.STRING },
      sortKey: { name: T.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? true,
      timeToLiveAttribute: T.ttlAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: T.hourIndex.name,
          partitionKey: {
            name: T.hourIndex.partitionKey,
            type: AttributeType.STRING,
          },
          sortKey: { name: T.hourIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
    });
  }

  /** ARN of the `byHour` index. */
  get hourIndexArn(): string {
    return Stack.of(this).formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: `${this.table.tableName}/index/${T.hourIndex.name}`,
    });
  }

  /**
   * What the ingest does: merge facts (BatchWriteItem, and PutItem when a
   * whole batch fails and its items are written one by one), read a key's
   * items back (Query), claim and release alerts (PutItem, DeleteItem), and
   * list keys by hour (Query on the index). No UpdateItem: items are only
   * ever written whole.
   */
  grantIngest(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
        ],
        resources: [this.table.tableArn],
      }),
    );
    this.grantIndexQuery(grantee);
  }

  /**
   * Lookups only: a key's items (Query on the table) and keys by hour (Query
   * on the index). No Scan: the status API always lists a day's window.
   */
  grantLookups(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [this.table.tableArn, this.hourIndexArn],
      }),
    );
  }

  /**
   * What the digest's reconcile does: read keys back (Query on the table,
   * which also reads the day's log-object receipts, `pk = L#<date>`), list
   * the day's keys (Query on the index), write back the uploads only
   * Athena saw (the ingest's merge: BatchWriteItem, and PutItem when a
   * whole batch fails and its items are written one by one), and send the
   * alerts held until the day settled (claims: PutItem; giving a claim back
   * and forgetting a held alert: DeleteItem). No Scan, no UpdateItem: it
   * never lists every key.
   */
  grantIndexRepair(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:Query',
          'dynamodb:BatchWriteItem',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
        ],
        resources: [this.table.tableArn],
      }),
    );
    this.grantIndexQuery(grantee);
  }

  private grantIndexQuery(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [this.hourIndexArn],
      }),
    );
  }

  /** Sets the table's name and retention on `fn` (names from `config/env.ts`). */
  bindEnvironment(fn: LambdaFunction): void {
    fn.addEnvironment(Env.TABLE_NAME, this.table.tableName);
    fn.addEnvironment(Env.RETENTION_DAYS, String(this.retentionDays));
  }

  /** Environment and ingest grants in one call. */
  bindIngest(fn: LambdaFunction): void {
    this.bindEnvironment(fn);
    this.grantIngest(fn);
  }

  /** Environment (the repairs' TTL follows the retention) and reconcile grants in one call. */
  bindIndexRepair(fn: LambdaFunction): void {
    this.bindEnvironment(fn);
    this.grantIndexRepair(fn);
  }

  /** Environment and lookup grants in one call. */
  bindLookups(fn: LambdaFunction): void {
    this.bindEnvironment(fn);
    this.grantLookups(fn);
  }
}
