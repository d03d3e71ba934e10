import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NellieError } from '@nellie/core';

export interface Listener {
  url: string;
  host: string;
  port: number;
}

/** Listens on `host:port`, turning the usual failures into errors that say what to change. */
export async function listen(server: Server, host: string, port: number): Promise<Listener> {
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('error', onError);
      reject(listenError(error, host, port));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shown}:${address.port}`, host: address.address, port: address.port };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new NellieError(
        'CONFLICT',
        `Port ${port} on ${host} is already in use (is another Nellie running?). Choose another port with --port or NELLIE_PORT.`,
        { cause: error },
      );
    case 'EACCES':
      return new NellieError(
        'STORE_UNAVAILABLE',
        `Not allowed to listen on ${host}:${port}; ports below 1024 need privileges. Choose another port with --port or NELLIE_PORT.`,
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new NellieError(
        'INVALID_OPTIONS',
        `Cannot listen on ${host}: no such address on this machine. Check --host or NELLIE_HOST.`,
        { cause: error },
      );
    default:
      return error;
  }
}

/**
 * Stops accepting, runs `beforeWait` (ending MCP streams that would keep connections open), then
 * waits for in-flight requests up to `graceMs` before cutting the rest.
 */
export async function closeGracefully(
  server: Server,
  graceMs: number,
  beforeWait: () => Promise<void>,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await beforeWait();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
    timer.unref();
  });
  await Promise.race([closed, grace]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}
