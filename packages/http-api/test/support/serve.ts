import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';

/** Serves a Hono app on 127.0.0.1 with an OS-assigned port. */
export async function serveOnLoopback(app: {
  fetch: (
    request: Request,
    env: { incoming: unknown; outgoing: unknown },
  ) => Response | Promise<Response>;
}): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(started),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
