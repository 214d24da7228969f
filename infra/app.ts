/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). A bad context value ends
 * synth with one line on stderr naming the key and what is wrong.
 */
import { App } from 'aws-cdk-lib';
import { ContextError } from './context.ts';
import { buildSentinelApp } from './sentinel-app.ts';

const app = new App();
try {
  buildSentinelApp(app);
} catch (err) {
  if (!(err instanceof ContextError)) throw err;
  process.stderr.write(`upload-sentinel: ${err.message}\n`);
  process.exit(2);
}
