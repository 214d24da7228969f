/**
 * The SES identity checks made before the digest is sent: the sender
 * must be verified (as an address or through its domain), and while the
 * account is in the SES sandbox only verified recipients can be sent mail
 * (SES rejects the whole message otherwise), so the others are left out and
 * reported to the admin.
 */
import { SenderNotVerifiedError } from '../errors.ts';
import type { RecipientCheck, UnverifiedRecipient } from './events.ts';

const VERIFIED = 'Success';

const domainOf = (address: string): string =>
  address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** The identities to ask SES about: each address and each domain, once. */
export function identitiesToCheck(
  sender: string,
  recipients: readonly string[],
): string[] {
  const out = new Set<string>();
  for (const a of [sender, ...recipients]) {
    out.add(a);
    out.add(domainOf(a));
  }
  return [...out];
}

function statusOf(
  address: string,
  statuses: ReadonlyMap<string, string>,
): { verified: boolean; status: string } {
  const own = statuses.get(address) ?? statuses.get(address.toLowerCase());
  const domain = statuses.get(domainOf(address));
  const verified = own === VERIFIED || domain === VERIFIED;
  return { verified, status: own ?? domain ?? 'NotStarted' };
}

/**
 * Who gets the digest, given SES's verification statuses
 * (`IdentityVerifier.statuses` of `identitiesToCheck`). Throws
 * `SenderNotVerifiedError` when the sender is not verified.
 */
export function checkRecipients(o: {
  sender: string;
  recipients: readonly string[];
  sandbox: boolean;
  statuses: ReadonlyMap<string, string>;
}): RecipientCheck {
  const sender = statusOf(o.sender, o.statuses);
  if (!sender.verified)
    throw new SenderNotVerifiedError(
      `the digest's sender ${o.sender} is not a verified SES identity (status ${sender.status}); verify the address or its domain in SES`,
    );
  const deliverTo: string[] = [];
  const unverified: UnverifiedRecipient[] = [];
  for (const address of o.recipients) {
    const s = statusOf(address, o.statuses);
    if (s.verified || !o.sandbox) deliverTo.push(address);
    else unverified.push({ address, status: s.status });
  }
  return { sender: o.sender, sandbox: o.sandbox, deliverTo, unverified };
}
