/** Retrying transient failures: which errors, how often, how long. */
import { describe, expect, it } from 'vitest';
import { isTransient, retryTransient } from '../../core/util/transient.ts';

const named = (name: string, status?: number) =>
  Object.assign(new Error(name), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });

describe('transient failures', () => {
  it('are throttling and service errors, by name or status', () => {
    expect(isTransient(named('SlowDown'))).toBe(true);
    expect(isTransient(named('ThrottlingException'))).toBe(true);
    expect(isTransient(named('Whatever', 503))).toBe(true);
    expect(isTransient(named('Whatever', 429))).toBe(true);
    expect(isTransient(named('AccessDenied', 403))).toBe(false);
    expect(isTransient(named('InvalidRequestException', 400))).toBe(false);
    expect(isTransient('SlowDown')).toBe(false);
  });

  it('are retried with doubling waits, up to the attempts given', async () => {
    const waits: number[] = [];
    let calls = 0;
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw named('SlowDown', 503);
        },
        { attempts: 4, baseDelayMs: 100, sleep },
      ),
    ).rejects.toThrow('SlowDown');
    expect(calls).toBe(4);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('succeed once the failure passes; other failures are not retried', async () => {
    let calls = 0;
    const sleep = async () => {};
    expect(
      await retryTransient(
        async () => {
          if (++calls < 3) throw named('InternalError', 500);
          return 'rows';
        },
        { attempts: 4, baseDelayMs: 1, sleep },
      ),
    ).toBe('rows');
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw named('AccessDenied', 403);
        },
        { attempts: 4, baseDelayMs: 1, sleep },
      ),
    ).rejects.toThrow('AccessDenied');
    expect(calls).toBe(1);
  });
});
