/**
 * The digest benchmark's stand-in for Lambda (bench/lambda-task.ts): a
 * handler bundled and run in its own process with Lambda's heap flags for
 * a memory size, its result returned, its error type kept, and a peak RSS
 * over the memory size failing the Task as Lambda fails it. A benchmark
 * whose memory check could not fail would measure nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaTasks } from '../../bench/lambda-task.ts';

const EVENT = {
  input: { date: '2026-03-14' },
  executionStartTime: '2026-03-15T02:00:00.000Z',
};

describe('a Task run as Lambda runs it', () => {
  let tasks: LambdaTasks;
  beforeAll(async () => {
    tasks = await LambdaTasks.bundle(['resolve-day']);
  }, 60_000);
  afterAll(async () => {
    await tasks?.close();
  });

  const spec = (memoryMb: number) => ({
    handler: 'resolve-day',
    memoryMb,
    timeoutSeconds: 30,
    env: { SENTINEL_TIME_ZONE: 'UTC' },
  });

  it('returns the handler result and its peak RSS under the memory', async () => {
    const result = (await tasks.binding(spec(256))(EVENT)) as {
      date: string;
    };
    expect(result.date).toBe('2026-03-14');
    const run = tasks.invocations.at(-1);
    expect(run?.error).toBeNull();
    expect(run?.peakRssMB).toBeGreaterThan(20);
    expect(run?.peakRssMB).toBeLessThan(256);
    // Lambda's flags for 256 MB: 25 MB young generation, the rest old.
    expect(run?.heapLimitMB).toBeGreaterThan(231);
  }, 60_000);

  it("keeps the handler's error type, as Catch and Retry see it", async () => {
    await expect(
      tasks.binding(spec(256))({ ...EVENT, input: { date: '2026-02-30' } }),
    ).rejects.toMatchObject({ name: 'DigestInputError' });
  }, 60_000);

  it('fails with Runtime.OutOfMemory when the process outgrows the memory', async () => {
    // No Node.js process runs in 24 MB: the limit must bite.
    await expect(tasks.binding(spec(24))(EVENT)).rejects.toMatchObject({
      name: 'Runtime.OutOfMemory',
    });
    expect(tasks.invocations.at(-1)?.error).toBe('Runtime.OutOfMemory');
  }, 60_000);
});
