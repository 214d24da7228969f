/**
 * A DynamoDB endpoint in front of the real dynalite that injects faults:
 * it can drop the answer to a request after forwarding it (the write was
 * applied, the client never hears so: its socket is closed), and fail every
 * request that touches a chosen partition key with a 500.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Random } from '../../simulate/random.ts';

export interface ProxyRequest {
  /** The operation, from `X-Amz-Target` (`PutItem`, `Query`...). */
  operation: string;
  body: string;
}

export interface FaultyDynamo {
  endpoint: string;
  /** What the proxy did, for the test to report. */
  stats: { requests: number; dropped: number; failed: number };
  /** Fails (500) every request whose body names this partition key. */
  poisoned: { pk: string | null };
  /** Whether to drop the answer of this request (after forwarding it). */
  drop: (r: ProxyRequest) => boolean;
  close(): Promise<void>;
}

/** An alert claim or its sent mark: a PutItem of an `N#` item. */
export function isAlertClaim(r: ProxyRequest): boolean {
  return r.operation === 'PutItem' && r.body.includes('"S":"N#');
}

/** Drops `share` of the answers `which` selects, seeded. */
export function dropShare(
  share: number,
  seed: string,
  which: (r: ProxyRequest) => boolean = () => true,
): (r: ProxyRequest) => boolean {
  const rnd = new Random(seed);
  return (r) => which(r) && rnd.chance(share);
}

export async function faultyDynamo(target: string): Promise<FaultyDynamo> {
  const url = new URL(target);
  const proxy: FaultyDynamo = {
    endpoint: '',
    stats: { requests: 0, dropped: 0, failed: 0 },
    poisoned: { pk: null },
    drop: () => false,
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      proxy.stats.requests++;
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const pk = proxy.poisoned.pk;
      if (pk !== null && text.includes(JSON.stringify(pk).slice(1, -1))) {
        proxy.stats.failed++;
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'injected fault',
          }),
        );
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.slice(target.indexOf('.') + 1);
      const drop = proxy.drop({ operation, body: text });
      const fwd = request(
        {
          host: url.hostname,
          port: url.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (r) => {
          if (drop) {
            // The request was applied; its answer never arrives.
            proxy.stats.dropped++;
            r.resume();
            r.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(r.statusCode ?? 500, r.headers);
          r.pipe(res);
        },
      );
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}
