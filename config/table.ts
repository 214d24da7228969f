/**
 * The uploads table's key schema, shared by the DynamoDB adapter, the local
 * stack that creates the table in dynalite, and the CDK construct. The
 * items it holds: docs/index-layout.md.
 */
export const UploadsTableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB may delete the item. */
  ttlAttribute: 'expiresAt',
  /** Lists the keys active in a UTC hour. */
  hourIndex: { name: 'byHour', partitionKey: 'hour', sortKey: 'pk' },
} as const;
