/**
 * Daily digest, first Task: resolves the report day (input `date`, else
 * yesterday in the configured time zone), the as-of time (input `asOf`,
 * else the execution's start), the day's UTC window, its log partitions and
 * Athena's execution parameters. Wiring only: the rules are in
 * core/digest/resolve-day.ts.
 *
 * Environment: SENTINEL_TIME_ZONE (optional, default UTC). AWS calls: none.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { loadDigestConfig } from '../config/load-config.ts';
import {
  parseExecutionInput,
  parseResolveDayEvent,
  type ResolvedDay,
} from '../core/digest/events.ts';
import { parseInstant, resolveReportDay } from '../core/digest/resolve-day.ts';
import { DigestInputError } from '../core/errors.ts';
import { dailyDigestAthenaParameters } from '../workflows/daily-digest.ts';
import { logger } from './logger.ts';

export interface ResolveDayDeps {
  /** IANA time zone of the report day, unless the input names one. */
  timeZone: string;
}

export type ResolveDayHandler = (event: unknown) => Promise<ResolvedDay>;

/** The handler, given its dependencies: the same code in Lambda and locally. */
export function createResolveDayHandler(
  deps: ResolveDayDeps,
): ResolveDayHandler {
  return async (event) => {
    const e = parseResolveDayEvent(event);
    const now = parseInstant(e.executionStartTime);
    if (now === null)
      throw new DigestInputError(
        `executionStartTime is not an instant: ${JSON.stringify(e.executionStartTime)}`,
      );
    const input = parseExecutionInput(e.input);
    const { day, reconcile } = resolveReportDay(input, {
      timeZone: deps.timeZone,
      now,
    });
    const resolved: ResolvedDay = {
      ...day,
      athenaParameters: dailyDigestAthenaParameters(reconcile),
    };
    logger.info('report day resolved', {
      date: resolved.date,
      timeZone: resolved.timeZone,
      asOf: resolved.asOf,
      partitionDates: resolved.partitionDates,
    });
    return resolved;
  };
}

let built: ResolveDayHandler | undefined;

function build(): ResolveDayHandler {
  return createResolveDayHandler({ timeZone: loadDigestConfig().timeZone });
}

export const handler = middy(async (event: unknown) => {
  built ??= build();
  return built(event);
}).use(injectLambdaContext(logger, { resetKeys: true }));
