/**
 * The checks that make silence visible, as deployed: the alarm on log
 * objects that stopped arriving (missing data breaching, on the admin
 * topic, watching the metric the ingest really publishes), the manifest
 * prefix wired to the ingest queue and readable by the ingest function
 * only there, and the settings reaching the functions that read them.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { Env } from '../../config/env.ts';
import type { IngestObjectResult } from '../../core/ingest/ingest-batch.ts';
import { PowertoolsIngestMetrics } from '../../handlers/ingest.ts';
import { ContextError, readSettings } from '../../infra/context.ts';
import { FULL_CONTEXT, synthesize } from './support/synth.ts';

const full = synthesize({
  ...FULL_CONTEXT,
  sitePattern: 'calls/*/*/*/{site}/',
  manifestKeyPattern: 'calls/{yyyy}/{mm}/{dd}/{site}/call-{callId}.tar',
  manifestGrace: '3h',
  logSilenceAlarm: '45m',
});
const trial = synthesize();
afterAll(() => {
  full.cleanup();
  trial.cleanup();
});

type Props = Record<string, unknown>;
const resources = (t: typeof full.template, type: string): Props[] =>
  Object.values(t.findResources(type)).map((r) => r.Properties as Props);

function silenceAlarm(s: typeof full): Props {
  const alarms = resources(s.template, 'AWS::CloudWatch::Alarm').filter(
    (a) => a.MetricName === 'ObjectsIngested',
  );
  expect(alarms).toHaveLength(1);
  return alarms[0] as Props;
}

function functionEnv(s: typeof full, service: string): Record<string, unknown> {
  const f = resources(s.template, 'AWS::Lambda::Function').find(
    (p) =>
      (p.Environment as { Variables: Props } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (f === undefined) throw new Error(`no function ${service}`);
  return (f.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('the alarm when log objects stop arriving', () => {
  it('no log object for 2 hours by default: every 5-minute period empty, missing data breaching, on the admin topic', () => {
    const a = silenceAlarm(trial);
    const topic = trial.stack.resolve(trial.stack.adminTopic.topic.topicArn);
    expect(a).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 24,
      DatapointsToAlarm: 24,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    expect(a.AlarmDescription).toMatch(/No server access log object/);
  });

  it('its window is the logSilenceAlarm setting', () => {
    expect(silenceAlarm(full)).toMatchObject({
      Period: 300,
      EvaluationPeriods: 9,
      DatapointsToAlarm: 9,
    });
  });

  it('watches the metric the ingest handler publishes: its namespace and service dimension', () => {
    const a = silenceAlarm(full);
    const env = functionEnv(full, 'upload-sentinel-ingest');
    expect(a.Namespace).toBe(env.POWERTOOLS_METRICS_NAMESPACE);
    expect(a.Dimensions).toEqual([
      { Name: 'service', Value: env.POWERTOOLS_SERVICE_NAME },
    ]);
    // What the handler's Powertools metrics put in their EMF document with
    // that environment: the same namespace, metric and dimension.
    const flushed: Record<string, unknown>[] = [];
    class Kept extends Metrics {
      override publishStoredMetrics(): this {
        flushed.push(this.serializeMetrics() as Record<string, unknown>);
        this.clearMetrics();
        return this;
      }
    }
    const m = new PowertoolsIngestMetrics(
      new Kept({
        namespace: env.POWERTOOLS_METRICS_NAMESPACE as string,
        serviceName: env.POWERTOOLS_SERVICE_NAME as string,
      }),
    );
    m.object(
      {
        skipped: null,
        lines: 1,
        uploadRequests: 1,
        malformed: 0,
      } as IngestObjectResult,
      null,
    );
    m.flush();
    const emf = flushed[0] as {
      _aws: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string }[];
        }[];
      };
      service: string;
    };
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(a.Namespace);
    expect(directive?.Dimensions).toEqual([['service']]);
    expect(emf.service).toBe(env.POWERTOOLS_SERVICE_NAME);
    expect(directive?.Metrics.map((x) => x.Name)).toContain(a.MetricName);
  });

  it('refuses a window CloudWatch cannot hold, at synth, in one line', () => {
    for (const v of ['5m', '25h', 'soon'])
      expect(() =>
        readSettings((k) => (k === 'logSilenceAlarm' ? v : undefined)),
      ).toThrow(ContextError);
  });
});

describe('manifests of expected recordings', () => {
  it('objects under manifests/ of the log bucket reach the ingest queue, as the logs do', () => {
    const [notifications] = resources(
      full.template,
      'Custom::S3BucketNotifications',
    );
    if (notifications === undefined) throw new Error('no notifications');
    const queue = full.stack.resolve(full.stack.ingestion.queue.queueArn);
    const configs = (
      notifications.NotificationConfiguration as {
        QueueConfigurations: {
          Events: string[];
          QueueArn: unknown;
          Filter: { Key: { FilterRules: { Name: string; Value: string }[] } };
        }[];
      }
    ).QueueConfigurations;
    expect(
      configs
        .map((c) => ({
          events: c.Events,
          queue: c.QueueArn,
          prefix: c.Filter.Key.FilterRules.find((r) => r.Name === 'prefix')
            ?.Value,
        }))
        .sort((a, b) => String(a.prefix).localeCompare(String(b.prefix))),
    ).toEqual([
      { events: ['s3:ObjectCreated:*'], queue, prefix: 'manifests/' },
      { events: ['s3:ObjectCreated:*'], queue, prefix: 's3-access-logs/' },
    ]);
  });

  it('the ingest function is told the prefix, the default bucket and the key pattern', () => {
    expect(functionEnv(full, 'upload-sentinel-ingest')).toMatchObject({
      [Env.MANIFEST_PREFIX]: 'manifests/',
      [Env.RECORDINGS_BUCKET]: 'acme-call-recordings',
      [Env.MANIFEST_KEY_PATTERN]:
        'calls/{yyyy}/{mm}/{dd}/{site}/call-{callId}.tar',
    });
    expect(functionEnv(trial, 'upload-sentinel-ingest')).not.toHaveProperty(
      Env.MANIFEST_KEY_PATTERN,
    );
  });

  it('the status and reconcile functions get the grace period; reconcile the site pattern', () => {
    expect(functionEnv(full, 'upload-sentinel-status')).toMatchObject({
      [Env.MANIFEST_GRACE]: '3h',
    });
    expect(functionEnv(full, 'upload-sentinel-reconcile')).toMatchObject({
      [Env.MANIFEST_GRACE]: '3h',
      [Env.SITE_PATTERN]: 'calls/*/*/*/{site}/',
    });
    // Defaults: the grace period is the stall window; no site pattern.
    const env = functionEnv(trial, 'upload-sentinel-reconcile');
    expect(env[Env.MANIFEST_GRACE]).toBe('6h');
    expect(env).not.toHaveProperty(Env.SITE_PATTERN);
  });

  it('the stack publishes the manifest prefix', () => {
    const outputs = full.template.toJSON().Outputs as Record<
      string,
      { Value: unknown }
    >;
    expect(outputs.ManifestPrefix?.Value).toBe('manifests/');
  });

  it('bad patterns stop synth with one line naming the setting', () => {
    const bad: [string, string, RegExp][] = [
      ['sitePattern', 'recordings/*/*', /no \{group\}/],
      ['sitePattern', '{a}/{b}', /more than one/],
      ['manifestKeyPattern', 'calls/{yyyy}.tar', /names no column/],
      ['manifestKeyPattern', 'calls/{call id}.tar', /not a placeholder/],
      ['manifestGrace', '8d', /between 0 and 7 days/],
    ];
    for (const [key, value, reason] of bad) {
      let message = '';
      try {
        readSettings((k) => (k === key ? value : undefined));
      } catch (err) {
        expect(err).toBeInstanceOf(ContextError);
        message = (err as Error).message;
      }
      expect(message).toMatch(new RegExp(`^invalid context ${key}=`));
      expect(message).toMatch(reason);
      expect(message).not.toContain('\n');
    }
  });
});
