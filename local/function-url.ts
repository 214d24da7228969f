/**
 * A local stand-in for a Lambda function URL (payload format 2.0): an HTTP
 * server on 127.0.0.1 that turns each request into the event a function
 * URL sends, calls the handler and writes back its result, with Lambda's
 * limits on a buffered invocation: a request over 6 MB is refused (413),
 * and a response whose payload (the handler's result as JSON) is over
 * 6 MB is not delivered, as Lambda does not deliver it: the caller gets a
 * 502. IAM authorisation is not checked.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

/**
 * Lambda's limit on a synchronous invocation's response payload: 6 MB
 * ("Exceeded maximum allowed payload size (6291556 bytes)"), and on its
 * request payload (6,291,456 bytes).
 */
export const LAMBDA_RESPONSE_MAX_BYTES = 6_291_556;
export const LAMBDA_REQUEST_MAX_BYTES = 6_291_456;

export type FunctionUrlHandler = (
  event: APIGatewayProxyEventV2,
) => Promise<APIGatewayProxyStructuredResultV2>;

function eventOf(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query: Record<string, string> = {};
  // A function URL joins repeated parameters with commas.
  for (const [k, v] of url.searchParams)
    query[k] = k in query ? `${query[k]},${v}` : v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const now = new Date();
  const text = body.toString('utf8');
  const binary = Buffer.from(text, 'utf8').equals(body) === false;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search.length > 1 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: `local-${now.getTime()}`,
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? {
          body: binary ? body.toString('base64') : text,
          isBase64Encoded: binary,
        }
      : { isBase64Encoded: false }),
  } as APIGatewayProxyEventV2;
}

function reply(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'content-length': bytes.length });
  res.end(bytes);
}

/** A started function URL: its endpoint and how to stop it. */
export class LocalFunctionUrl {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Serves `handler` on a free port of 127.0.0.1. */
  static async start(handler: FunctionUrlHandler): Promise<LocalFunctionUrl> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= LAMBDA_REQUEST_MAX_BYTES) chunks.push(c);
      });
      req.on('end', () => {
        if (size > LAMBDA_REQUEST_MAX_BYTES) {
          reply(res, 413, JSON.stringify({ Message: 'Request Too Long' }));
          return;
        }
        handler(eventOf(req, Buffer.concat(chunks))).then(
          (result) => {
            const payload = JSON.stringify(result);
            if (Buffer.byteLength(payload) > LAMBDA_RESPONSE_MAX_BYTES) {
              reply(
                res,
                502,
                JSON.stringify({
                  Message: `Exceeded maximum allowed payload size (${LAMBDA_RESPONSE_MAX_BYTES} bytes).`,
                }),
                {
                  'content-type': 'application/json',
                  'x-amzn-errortype': 'Function.ResponseSizeTooLarge',
                },
              );
              return;
            }
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(result.headers ?? {}))
              headers[k] = String(v);
            const body =
              result.body === undefined
                ? ''
                : result.isBase64Encoded
                  ? Buffer.from(result.body, 'base64')
                  : result.body;
            reply(res, result.statusCode ?? 200, body, headers);
          },
          () => reply(res, 502, JSON.stringify({ Message: null })),
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new LocalFunctionUrl(server, `http://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
