/**
 * A CloudFormation stand-in for the CLI's `--target aws`: answers
 * DescribeStacks (query protocol, XML) with the outputs given per stack,
 * as a deployed stack publishes them. Point the CLI at it with
 * `AWS_ENDPOINT_URL_CLOUDFORMATION`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CloudFormationStandIn {
  endpoint: string;
  /** The StackName of each DescribeStacks call. */
  described: string[];
  close(): Promise<void>;
}

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function describeStacks(name: string, outputs: Record<string, string>) {
  const members = Object.entries(outputs)
    .map(
      ([k, v]) =>
        `<member><OutputKey>${xml(k)}</OutputKey><OutputValue>${xml(v)}</OutputValue></member>`,
    )
    .join('');
  return `<DescribeStacksResponse xmlns="${NS}"><DescribeStacksResult><Stacks><member><StackName>${xml(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${xml(name)}/1</StackId><CreationTime>2026-03-01T00:00:00Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></DescribeStacksResponse>`;
}

function missing(name: string): string {
  return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xml(name)} does not exist</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>`;
}

export async function startCloudFormationStandIn(
  stacks: Record<string, Record<string, string>>,
): Promise<CloudFormationStandIn> {
  const described: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const name = form.get('StackName') ?? '';
      res.setHeader('content-type', 'text/xml');
      if (form.get('Action') !== 'DescribeStacks') {
        res.statusCode = 400;
        res.end(missing(name));
        return;
      }
      described.push(name);
      const outputs = stacks[name];
      if (outputs === undefined) {
        res.statusCode = 400;
        res.end(missing(name));
        return;
      }
      res.end(describeStacks(name, outputs));
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    described,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
