/**
 * Daily digest, recipient check Task: asks SES which of the sender and the
 * recipients (addresses and domains) are verified identities. The sender
 * must be; in the SES sandbox only verified recipients are sent the digest
 * and the others are reported to the admin. Wiring only:
 * core/digest/recipients.ts.
 *
 * Environment: SENTINEL_DIGEST_SENDER, SENTINEL_DIGEST_RECIPIENTS; optional
 * SENTINEL_SES_SANDBOX (default true).
 *
 * AWS calls: ses:GetIdentityVerificationAttributes.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SESClient } from '@aws-sdk/client-ses';
import middy from '@middy/core';
import { SesIdentityVerifier } from '../adapters/ses/identity-verifier.ts';
import { Env } from '../config/env.ts';
import { loadDigestConfig, requireSetting } from '../config/load-config.ts';
import type { RecipientCheck } from '../core/digest/events.ts';
import type { IdentityVerifier } from '../core/digest/ports.ts';
import {
  checkRecipients,
  identitiesToCheck,
} from '../core/digest/recipients.ts';
import { DigestInputError } from '../core/errors.ts';
import { logger } from './logger.ts';

export interface CheckRecipientsDeps {
  sender: string;
  recipients: readonly string[];
  /** Whether the SES account is in the sandbox. */
  sandbox: boolean;
  verifier: IdentityVerifier;
}

export type CheckRecipientsHandler = (
  event: unknown,
) => Promise<RecipientCheck>;

/** The handler, given its dependencies: the same code in Lambda and locally. */
export function createCheckRecipientsHandler(
  deps: CheckRecipientsDeps,
): CheckRecipientsHandler {
  return async (event) => {
    if (typeof event !== 'object' || event === null)
      throw new DigestInputError('event: not an object');
    const statuses = await deps.verifier.statuses(
      identitiesToCheck(deps.sender, deps.recipients),
    );
    const check = checkRecipients({
      sender: deps.sender,
      recipients: deps.recipients,
      sandbox: deps.sandbox,
      statuses,
    });
    logger.info('recipients checked', {
      sandbox: check.sandbox,
      deliverTo: check.deliverTo.length,
      unverified: check.unverified.length,
    });
    return check;
  };
}

let built: CheckRecipientsHandler | undefined;

function build(): CheckRecipientsHandler {
  const config = loadDigestConfig();
  return createCheckRecipientsHandler({
    sender: requireSetting(config.sender, Env.DIGEST_SENDER),
    recipients: requireSetting(config.recipients, Env.DIGEST_RECIPIENTS),
    sandbox: config.sesSandbox,
    verifier: new SesIdentityVerifier(new SESClient({ maxAttempts: 5 })),
  });
}

export const handler = middy(async (event: unknown) => {
  built ??= build();
  return built(event);
}).use(injectLambdaContext(logger, { resetKeys: true }));
