/**
 * Synthesizes the upload-sentinel app the way `cdk synth` does (the context
 * of cdk.json plus the test's own), once per test file, into a temporary
 * folder the caller removes. Bundling is skipped unless asked for: only the
 * bundle test needs the esbuild output.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnElement, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { buildSentinelApp } from '../../../infra/sentinel-app.ts';
import type { UploadSentinelStack } from '../../../infra/stack.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The `context` of cdk.json: feature flags the CLI would pass. */
export function cdkJsonContext(): Record<string, unknown> {
  const json = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return json.context ?? {};
}

export interface Synthesized {
  readonly app: App;
  readonly stack: UploadSentinelStack;
  readonly template: Template;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
  /** Removes the cloud assembly folder. */
  cleanup(): void;
}

/** The app as `cdk synth` builds it, before synthesis. */
export interface Built {
  readonly app: App;
  readonly stack: UploadSentinelStack;
  readonly outdir: string;
  /** Removes the cloud assembly folder. */
  cleanup(): void;
}

/** Builds the app (`buildSentinelApp`) into a new temporary folder, unsynthesized. */
export function build(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): Built {
  const outdir = mkdtempSync(join(tmpdir(), 'sentinel-cdk-out-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stack = buildSentinelApp(app);
  return {
    app,
    stack,
    outdir,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

export function synthesize(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean } = {},
): Synthesized {
  const { app, stack, outdir, cleanup } = build(context, options);
  const assembly = app.synth();
  const template = Template.fromJSON(
    assembly.getStackByName(stack.stackName).template,
  );
  return {
    app,
    stack,
    template,
    assembly,
    outdir,
    cleanup,
  };
}

/** A resource of the template, as `Template.toJSON()` gives it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly DependsOn?: string[];
}

/**
 * The template's resource behind `construct` (its default child), found
 * with the stack's logical ID for it: a lookup that tells one resource from
 * others alike (the log bucket among the buckets), not an assertion on the
 * ID.
 */
export function resourceOf(
  s: Pick<Synthesized, 'stack' | 'template'>,
  construct: IConstruct,
): TemplateResource {
  const child = construct.node.defaultChild;
  if (!CfnElement.isCfnElement(child))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  const id = s.stack.getLogicalId(child);
  const resources = s.template.toJSON().Resources as Record<
    string,
    TemplateResource
  >;
  const resource = resources[id];
  if (resource === undefined) throw new Error(`no resource ${id}`);
  return resource;
}

/** A deployment with every setting given, watching an existing bucket. */
export const FULL_CONTEXT = {
  recordingsBucketName: 'acme-call-recordings',
  recordingPrefix: 'calls/',
  digestRecipients: 'compliance@acme.example, audit@partner.example',
  digestSender: 'sentinel@acme.example',
  timeZone: 'Europe/Paris',
  scheduleTime: '07:15',
  stallWindow: '4h',
  adminEmail: 'ops@acme.example',
  logRetentionDays: '90',
  indexRetentionDays: '200',
  realtimeAlerts: 'true',
  sesSandbox: 'false',
} as const;

/**
 * Renders a CloudFormation value as text: strings as they are, `Fn::Join`
 * joined, and `Ref`/`Fn::GetAtt` as `<<Ref:X>>`/`<<GetAtt:X.Attr>>`, or as
 * the value `substitute` gives them. Nested joins render the same whichever
 * way CDK split them, so two renderings compare as strings.
 */
export function renderCfn(
  value: unknown,
  substitute: (intrinsic: string) => string | undefined = () => undefined,
): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => renderCfn(p, substitute)).join(delimiter);
    }
    if (typeof o.Ref === 'string') {
      const key = `Ref:${o.Ref}`;
      return substitute(key) ?? `<<${key}>>`;
    }
    if (Array.isArray(o['Fn::GetAtt'])) {
      const key = `GetAtt:${(o['Fn::GetAtt'] as string[]).join('.')}`;
      return substitute(key) ?? `<<${key}>>`;
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** Renders a CDK value (token or literal) as `renderCfn` renders the template. */
export function renderToken(stack: Stack, value: string): string {
  return Token.isUnresolved(value)
    ? renderCfn(Stack.of(stack).resolve(value))
    : value;
}

/** One allowed (action, resource, condition) of an IAM policy, as text. */
export interface Permission {
  readonly action: string;
  readonly resource: string;
  readonly condition?: string;
}

function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Every Allow of the identity policies attached to the role of the Lambda
 * function whose `POWERTOOLS_SERVICE_NAME` is `service` (or of the role with
 * this resolved ARN), expanded to one entry per action and resource, so the
 * result does not depend on how CDK merged statements.
 */
export function permissionsOfRole(
  template: Template,
  roleRef: unknown,
): Permission[] {
  const roleId = (roleRef as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0];
  if (roleId === undefined)
    throw new Error(`not a role reference: ${JSON.stringify(roleRef)}`);
  const out: Permission[] = [];
  const policies = template.findResources('AWS::IAM::Policy');
  for (const policy of Object.values(policies)) {
    const roles = asArray(policy.Properties.Roles as unknown[]);
    if (!roles.some((r) => (r as { Ref?: string }).Ref === roleId)) continue;
    const doc = policy.Properties.PolicyDocument as {
      Statement: {
        Effect: string;
        Action: string | string[];
        Resource: unknown;
        Condition?: unknown;
      }[];
    };
    for (const s of doc.Statement) {
      if (s.Effect !== 'Allow') continue;
      for (const action of asArray(s.Action)) {
        for (const resource of asArray(s.Resource)) {
          out.push({
            action,
            resource: renderCfn(resource),
            ...(s.Condition === undefined
              ? {}
              : { condition: JSON.stringify(s.Condition) }),
          });
        }
      }
    }
  }
  return sortPermissions(out);
}

export function permissionsOfFunction(
  template: Template,
  service: string,
): Permission[] {
  const fns = Object.values(template.findResources('AWS::Lambda::Function'));
  const fn = fns.find(
    (f) =>
      (
        f.Properties.Environment as
          | { Variables?: Record<string, unknown> }
          | undefined
      )?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (fn === undefined) throw new Error(`no function ${service}`);
  return permissionsOfRole(template, fn.Properties.Role);
}

export function sortPermissions(ps: Permission[]): Permission[] {
  const key = (p: Permission) =>
    `${p.action}\u0000${p.resource}\u0000${p.condition ?? ''}`;
  const unique = new Map(ps.map((p) => [key(p), p]));
  return [...unique.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, p]) => p);
}

/** Expected permissions: each action on each resource (tokens rendered). */
export function allow(
  stack: Stack,
  actions: readonly string[],
  resources: readonly string[],
  condition?: unknown,
): Permission[] {
  return actions.flatMap((action) =>
    resources.map((r) => ({
      action,
      resource: renderToken(stack, r),
      ...(condition === undefined
        ? {}
        : {
            condition: JSON.stringify(Stack.of(stack).resolve(condition)),
          }),
    })),
  );
}
