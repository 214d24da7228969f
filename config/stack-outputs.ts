/**
 * How the stack publishes a key prefix as a CloudFormation output
 * (`infra/stack.ts`) and how the CLI reads it back (`cli/target.ts`).
 * The value is never empty (CloudFormation wants a value for every output,
 * and the CLI takes an empty one for a missing one): the empty prefix, every
 * key of the bucket, is published as `*`, which no prefix the stack accepts
 * can be (the context check refuses `*` and `?` in a prefix).
 */
export const EVERY_KEY = '*';

/** The output value of `prefix`. */
export function prefixOutputValue(prefix: string): string {
  return prefix === '' ? EVERY_KEY : prefix;
}

/** The prefix an output value (or a flag given the same way) stands for. */
export function prefixFromOutputValue(value: string): string {
  return value === EVERY_KEY ? '' : value;
}

/**
 * The key prefix the stack's log bucket receives the server access logs
 * under, where its S3 events fire (`infra/constructs/log-bucket.ts`),
 * published as the `LogPrefix` output. The stack does not change it, so the
 * CLI uses it when it is given the log bucket by name rather than reading
 * the stack's outputs (`ingest --log-bucket`).
 */
export const DEFAULT_LOG_PREFIX = 's3-access-logs/';

/**
 * The key prefix of manifests of expected recordings in the log bucket
 * (docs/manifests.md), where its S3 events fire too, published as the
 * `ManifestPrefix` output. Outside the log prefix, so a manifest is never
 * taken for an access log, nor scanned by Athena.
 */
export const DEFAULT_MANIFEST_PREFIX = 'manifests/';
