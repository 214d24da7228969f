/**
 * The status API: one function behind a function URL that only signed
 * (SigV4, IAM-authorised) requests reach.
 */
import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType, type IFunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { Env } from '../../config/env.ts';
import { SentinelFunction } from './sentinel-function.ts';
import type { UploadsTable } from './uploads-table.ts';

export interface StatusApiProps {
  /** The uploads index the lookups read. */
  readonly table: UploadsTable;
  /**
   * Handler entry, relative to the repository root.
   * @default 'handlers/status-api.ts'
   */
  readonly entry?: string;
  /**
   * Idle time after which an open upload counts as INCOMPLETE.
   * @default '6h'
   */
  readonly stallWindow?: string;
  /**
   * How long after its expected time a recording with no upload is MISSING
   * (docs/manifests.md).
   * @default - the stall window
   */
  readonly manifestGrace?: string;
  /**
   * IANA time zone of `/attention?date=`.
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/** The status function, its IAM-authorised URL, and who may call it. */
export class StatusApi extends Construct {
  readonly function: SentinelFunction;
  readonly url: IFunctionUrl;

  constructor(scope: Construct, id: string, props: StatusApiProps) {
    super(scope, id);
    this.function = new SentinelFunction(this, 'Function', {
      entry: props.entry ?? 'handlers/status-api.ts',
      description: 'Answers status lookups from the uploads index',
      serviceName: 'upload-sentinel-status',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        [Env.STALL_WINDOW]: props.stallWindow ?? '6h',
        [Env.MANIFEST_GRACE]: props.manifestGrace ?? props.stallWindow ?? '6h',
        [Env.TIME_ZONE]: props.timeZone ?? 'UTC',
      },
    });
    props.table.bindLookups(this.function);
    this.url = this.function.addFunctionUrl({
      authType: FunctionUrlAuthType.AWS_IAM,
    });
  }

  /** lambda:InvokeFunctionUrl for `grantee` (an operator role, say). */
  grantInvokeUrl(grantee: IGrantable): void {
    this.function.grantInvokeUrl(grantee);
  }
}
