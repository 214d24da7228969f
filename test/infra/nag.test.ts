/**
 * cdk-nag's AwsSolutions pack runs at every synth of the app, finds nothing
 * unacknowledged in both kinds of deployment, and every acknowledgment says
 * why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  build,
  FULL_CONTEXT,
  type Synthesized,
  synthesize,
} from './support/synth.ts';

const deployments: [string, Synthesized][] = [
  ['an existing bucket, every setting given', synthesize(FULL_CONTEXT)],
  ['a trial bucket, no context', synthesize()],
];
afterAll(() => {
  for (const [, s] of deployments) s.cleanup();
});

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: {
      ruleName: string;
      severity: string;
      violatingConstructs: { constructPath: string }[];
    }[];
  }[];
}

/** The `validation-report.json` synth wrote into `outdir`. */
function validationReport(outdir: string): ValidationReport {
  return JSON.parse(
    readFileSync(join(outdir, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
}

function acknowledgments(root: IConstruct): { id: string; reason: string }[] {
  const out: { id: string; reason: string }[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      const data = entry.data as Record<string, unknown>;
      for (const [id, reason] of Object.entries(data)) {
        out.push({
          id,
          reason: typeof reason === 'string' ? reason : JSON.stringify(reason),
        });
      }
    }
  }
  return out;
}

describe.each(deployments)('cdk-nag AwsSolutions, %s', (_, s) => {
  it('reports no unacknowledged finding', () => {
    const result = new AwsSolutionsChecks().validateScope(s.app);
    expect(
      result.violations.map(
        (v) =>
          `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('synth found no error (the validation report)', () => {
    // CDK lists a plugin in the report only when it found something: that
    // cdk-nag runs at all is the next describe's test.
    const report = validationReport(s.outdir);
    for (const plugin of report.pluginReports) {
      expect(
        plugin.violations.filter((v) => v.severity === 'error'),
        plugin.pluginName,
      ).toEqual([]);
    }
  });

  it('every acknowledgment names its reason', () => {
    const acks = acknowledgments(s.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length, a.id).toBeGreaterThan(40);
    }
  });

  it("reconcile's HeadObject grant (s3:GetObject on the recordings) is acknowledged on its role alone, scoped to the watched prefix, saying why", () => {
    const reconcile = s.stack.digest.functions.reconcile;
    const role = reconcile.role;
    if (role === undefined) throw new Error('reconcile has no role');
    const prefix = s.stack.node.tryGetContext('recordingPrefix') ?? '';
    const bucket = s.stack.recordings.bucket;
    const objects = `${bucket.bucketArn}/${prefix}*`;
    const flat = JSON.stringify(s.stack.resolve(objects));
    const onRole = acknowledgments(role).filter((a) =>
      a.id.includes('AwsSolutions-IAM5[Resource::'),
    );
    const recordings = onRole.filter(
      (a) =>
        a.id.endsWith(`/${prefix}*]`) &&
        !a.id.includes('results/') &&
        !a.id.includes('digests/'),
    );
    expect(recordings, flat).toHaveLength(1);
    const reason = recordings[0]?.reason ?? '';
    expect(reason).toContain('HeadObject');
    expect(reason).toContain('s3:GetObject');
    expect(reason).toContain(
      prefix === ''
        ? 'recordingPrefix is not set'
        : `under the watched prefix ${prefix}`,
    );
    // Nowhere else: no other role may read recordings.
    const elsewhere = acknowledgments(s.app).filter((a) => a.reason === reason);
    expect(elsewhere).toHaveLength(1);
  });
});

describe('cdk-nag during synth', () => {
  it('buildSentinelApp registers the AwsSolutions pack: a violation anywhere in its app stops synth and is in the validation report', () => {
    const built = build();
    try {
      // A queue with neither a dead-letter queue nor a TLS-only policy
      // (AwsSolutions-SQS3 and SQS4), in a stack of its own in the same app.
      const probe = new Queue(new Stack(built.app, 'NagProbe'), 'Queue');
      expect(() => built.app.synth()).toThrow(/AwsSolutions-SQS4/);
      const nag = validationReport(built.outdir).pluginReports.filter(
        (p) => p.pluginName === new AwsSolutionsChecks().name,
      );
      expect(nag).toHaveLength(1);
      const probePath = probe.node.defaultChild?.node.path;
      expect(
        nag[0]?.violations
          .filter((v) =>
            v.violatingConstructs.some((c) => c.constructPath === probePath),
          )
          .map((v) => `${v.ruleName} ${v.severity}`)
          .sort(),
      ).toEqual(['AwsSolutions-SQS3 error', 'AwsSolutions-SQS4 error']);
      // And nothing of the sentinel stack beside it.
      expect(
        nag[0]?.violations.flatMap((v) =>
          v.violatingConstructs
            .map((c) => c.constructPath)
            .filter((path) => !path.startsWith('NagProbe/')),
        ),
      ).toEqual([]);
    } finally {
      built.cleanup();
    }
  });
});
