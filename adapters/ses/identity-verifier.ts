/** SES identity verification statuses (GetIdentityVerificationAttributes). */
import {
  GetIdentityVerificationAttributesCommand,
  type SESClient,
} from '@aws-sdk/client-ses';
import type { IdentityVerifier } from '../../core/digest/ports.ts';

/** SES answers at most this many identities per call. */
const MAX_IDENTITIES = 100;

export class SesIdentityVerifier implements IdentityVerifier {
  constructor(private readonly client: SESClient) {}

  async statuses(identities: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < identities.length; i += MAX_IDENTITIES) {
      const res = await this.client.send(
        new GetIdentityVerificationAttributesCommand({
          Identities: identities.slice(i, i + MAX_IDENTITIES),
        }),
      );
      for (const [identity, a] of Object.entries(
        res.VerificationAttributes ?? {},
      )) {
        if (a.VerificationStatus !== undefined)
          out.set(identity, a.VerificationStatus);
      }
    }
    return out;
  }
}
