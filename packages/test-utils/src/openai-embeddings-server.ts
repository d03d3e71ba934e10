import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpenAiEmbeddingsServer {
  /** The API's base URL, e.g. `http://127.0.0.1:43210/v1` (`/embeddings` is appended by clients). */
  baseUrl: string;
  /** The `Authorization` header of every request received, in order. */
  authorizations: string[];
  close(): Promise<void>;
}

/**
 * A loopback server speaking the OpenAI embeddings API: each text's vector is derived from its
 * SHA-256, so equal texts get equal vectors and different texts different ones.
 */
export async function startOpenAiEmbeddingsServer(
  options: { dimensions?: number } = {},
): Promise<OpenAiEmbeddingsServer> {
  const dimensions = options.dimensions ?? 8;
  const authorizations: string[] = [];
  const server = createServer((request, response) => {
    authorizations.push(request.headers.authorization ?? '');
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const { input, model } = JSON.parse(body) as { input: string[]; model: string };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          model,
          data: input.map((text, index) => ({
            object: 'embedding',
            index,
            embedding: [...createHash('sha256').update(text).digest().subarray(0, dimensions)].map(
              (byte) => byte - 127.5,
            ),
          })),
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    authorizations,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
