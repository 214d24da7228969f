/**
 * Builds the upload-sentinel app from its context: the settings, the one
 * stack, and cdk-nag's AwsSolutions checks. `infra/app.ts` runs it for the
 * CDK CLI; the infra tests run the same function.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readSettings } from './context.ts';
import { UploadSentinelStack } from './stack.ts';

export function buildSentinelApp(app: App): UploadSentinelStack {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  // Environment-agnostic: synth needs no account, and deploys to the
  // account and Region of the credentials in use.
  const stack = new UploadSentinelStack(app, settings.stackName, { settings });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
