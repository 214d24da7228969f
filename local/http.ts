/** A tiny in-process HTTP server on a free port, for the local stand-ins. */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalReply {
  status: number;
  contentType: string;
  body: string;
}

export type LocalRoute = (
  request: IncomingMessage,
  body: Buffer,
) => Promise<LocalReply>;

/** A started server: its endpoint and how to stop it. */
export interface LocalServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Serves `route` on 127.0.0.1 and a free port; errors become a 500. */
export async function serveLocal(route: LocalRoute): Promise<LocalServer> {
  const server: Server = createServer(
    (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        route(req, Buffer.concat(chunks)).then(
          (r) => {
            res.writeHead(r.status, {
              'content-type': r.contentType,
              'content-length': Buffer.byteLength(r.body),
            });
            res.end(r.body);
          },
          (err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(message);
          },
        );
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
