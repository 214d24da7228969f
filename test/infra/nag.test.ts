/**
 * cdk-nag's AwsSolutions pack finds nothing unacknowledged, in both kinds of
 * deployment, and every acknowledgment says why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { FULL_CONTEXT, type Synthesized, synthesize } from './support/synth.ts';

const deployments: [string, Synthesized][] = [
  ['an existing bucket, every setting given', synthesize(FULL_CONTEXT)],
  ['a trial bucket, no context', synthesize()],
];
afterAll(() => {
  for (const [, s] of deployments) s.cleanup();
});

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

  it('ran during synth and passed (the validation report)', () => {
    const report = JSON.parse(
      readFileSync(join(s.outdir, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: {
        pluginName: string;
        conclusion: string;
        violations: { severity: string }[];
      }[];
    };
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
});
