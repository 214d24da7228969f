/**
 * A stand-in for the Step Functions API (JSON 1.0 protocol), enough for the
 * CLI's `digest --target aws`: StartExecution runs the local digest in
 * process, DescribeExecution answers RUNNING until it ends, then its status,
 * output or error, as the service does.
 */

import type { LocalDigest, LocalDigestRun } from '../../local/digest.ts';
import { type LocalReply, serveLocal } from '../../local/http.ts';

export interface SfnStandIn {
  endpoint: string;
  executions: string[];
  close(): Promise<void>;
}

export async function startSfnStandIn(
  digest: LocalDigest,
  stateMachineArn: string,
): Promise<SfnStandIn> {
  const runs = new Map<
    string,
    { started: number; input: string; run: LocalDigestRun | null }
  >();
  const reply = (status: number, body: unknown): LocalReply => ({
    status,
    contentType: 'application/x-amz-json-1.0',
    body: JSON.stringify(body),
  });
  const server = await serveLocal(async (req, raw) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = JSON.parse(raw.toString('utf8') || '{}');
    if (target === 'AWSStepFunctions.StartExecution') {
      if (body.stateMachineArn !== stateMachineArn)
        return reply(400, {
          __type: 'StateMachineDoesNotExist',
          message: `no ${body.stateMachineArn}`,
        });
      const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runs.size + 1}`;
      const entry = {
        started: Date.now(),
        input: body.input,
        run: null as LocalDigestRun | null,
      };
      runs.set(arn, entry);
      void digest.run(JSON.parse(body.input)).then((r) => {
        entry.run = r;
      });
      return reply(200, { executionArn: arn, startDate: entry.started / 1000 });
    }
    if (target === 'AWSStepFunctions.DescribeExecution') {
      const entry = runs.get(body.executionArn);
      if (entry === undefined)
        return reply(400, {
          __type: 'ExecutionDoesNotExist',
          message: 'no such execution',
        });
      const run = entry.run;
      return reply(200, {
        executionArn: body.executionArn,
        stateMachineArn,
        startDate: entry.started / 1000,
        input: entry.input,
        status: run === null ? 'RUNNING' : run.status,
        ...(run?.status === 'SUCCEEDED'
          ? { output: JSON.stringify(run.output) }
          : {}),
        ...(run?.status === 'FAILED'
          ? {
              error: run.error?.name,
              cause: JSON.stringify({
                Error: run.error?.name,
                Cause: run.error?.cause,
              }),
            }
          : {}),
      });
    }
    return reply(400, { __type: 'UnknownOperationException', message: target });
  });
  return {
    endpoint: server.endpoint,
    get executions() {
      return [...runs.keys()];
    },
    close: () => server.close(),
  };
}
