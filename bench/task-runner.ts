/**
 * The child side of `lambda-task.ts`: Lambda's Node.js runtime in small.
 * Reads the event from the file named by argv[2], invokes the handler the
 * bundle was built with once, and prints one JSON line: the result or the
 * error (its name as Lambda reports an error type), the invocation's time
 * and this process's peak RSS (VmHWM), which is what the function's memory
 * size must hold. With BENCH_COUNT_READS set, also the items the DynamoDB
 * client read.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import type { Context } from 'aws-lambda';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

function peakRssMb(): number {
  // VmHWM: this process's own peak (getrusage's survives exec on Linux).
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Number((kb / 1024).toFixed(1));
}

/** Counts the items every DynamoDB client of the process reads. */
async function countReads(): Promise<{ items: number; calls: number }> {
  const counts = { items: 0, calls: 0 };
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const proto = DynamoDBClient.prototype as unknown as {
    send: (...args: unknown[]) => Promise<unknown>;
  };
  const send = proto.send;
  proto.send = async function (this: unknown, ...args: unknown[]) {
    const out = (await send.apply(this, args)) as {
      Items?: unknown[];
      Item?: unknown;
      Responses?: Record<string, unknown[]>;
    };
    if (Array.isArray(out.Items)) {
      counts.items += out.Items.length;
      counts.calls++;
    } else if (out.Item !== undefined) {
      counts.items++;
      counts.calls++;
    } else if (out.Responses !== undefined) {
      for (const items of Object.values(out.Responses))
        counts.items += items.length;
      counts.calls++;
    }
    return out;
  };
  return counts;
}

export async function runTask(handler: Handler): Promise<void> {
  const reads = process.env.BENCH_COUNT_READS ? await countReads() : null;
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: task.mjs EVENT_FILE');
  const event: unknown = JSON.parse(await readFile(file, 'utf8'));
  const memoryMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const started = performance.now();
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'task',
    memoryLimitInMB: String(memoryMb),
    awsRequestId: 'bench',
    getRemainingTimeInMillis: () => 900_000,
  } as unknown as Context;
  let out: Record<string, unknown>;
  try {
    out = { result: await handler(event, context) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    out = { error: { name: e.name, message: e.message } };
  }
  const heap = getHeapStatistics();
  process.stdout.write(
    `${JSON.stringify({
      ...out,
      ...(reads === null
        ? {}
        : { itemsRead: reads.items, readCalls: reads.calls }),
      seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
      peakRssMB: peakRssMb(),
      heapLimitMB: Math.round(heap.heap_size_limit / 1048576),
    })}\n`,
  );
}
