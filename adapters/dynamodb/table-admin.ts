/**
 * Creates the uploads table where nothing else does: in the local stack
 * (dynalite) and in tests. In AWS the CDK stack owns the table.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { UploadsTableSchema as T } from '../../config/table.ts';

export async function ensureUploadsTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: T.partitionKey, AttributeType: 'S' },
          { AttributeName: T.sortKey, AttributeType: 'S' },
          { AttributeName: T.hourIndex.partitionKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: T.partitionKey, KeyType: 'HASH' },
          { AttributeName: T.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: T.hourIndex.name,
            KeySchema: [
              { AttributeName: T.hourIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: T.hourIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
        ],
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  for (let i = 0; i < 100; i++) {
    const d = await client.send(
      new DescribeTableCommand({ TableName: tableName }),
    );
    const gsiReady = (d.Table?.GlobalSecondaryIndexes ?? []).every(
      (g) => g.IndexStatus === 'ACTIVE',
    );
    if (d.Table?.TableStatus === 'ACTIVE' && gsiReady) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${tableName} did not become active`);
}
