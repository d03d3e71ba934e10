import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelManifest } from '../src/index.ts';

/** Small fake model files (random bytes for the weights) and a manifest with their checksums. */
export function fakeModel(model = 'test-org/tiny-model'): {
  files: Record<string, Buffer>;
  manifest: ModelManifest;
} {
  const files: Record<string, Buffer> = {
    'config.json': Buffer.from(JSON.stringify({ model_type: 'bert', hidden_size: 4 })),
    'tokenizer.json': Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'WordPiece' } })),
    'tokenizer_config.json': Buffer.from(JSON.stringify({ model_max_length: 512 })),
    'onnx/model_quantized.onnx': randomBytes(256 * 1024),
  };
  const manifest: ModelManifest = {
    model,
    revision: 'abc123',
    files: Object.entries(files).map(([path, data]) => ({
      path,
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      ...(path.startsWith('onnx/') ? { dtype: 'q8' as const } : {}),
    })),
  };
  return { files, manifest };
}

export type Behaviour = 'good' | 'corrupt' | 'truncated' | 'cut' | 'missing' | 'slow';

/**
 * A Hub look-alike on 127.0.0.1 serving `/<behaviour>/<model>/resolve/<revision>/<file>`. Only
 * the weights file misbehaves: `corrupt` flips bytes, `truncated` serves half the file,
 * `cut` announces the full length and hangs up half way, `missing` answers 404, `slow` sends
 * headers and then nothing.
 */
export async function startModelServer(files: Record<string, Buffer>): Promise<{
  url: (behaviour: Behaviour) => string;
  requests: string[];
  close: () => Promise<void>;
}> {
  const requests: string[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requests.push(request.url ?? '');
    const match = /^\/(\w+)\/[^/]+\/[^/]+\/resolve\/[^/]+\/(.+)$/.exec(request.url ?? '');
    const behaviour = match?.[1] as Behaviour | undefined;
    const file = match ? files[decodeURIComponent(match[2]!)] : undefined;
    if (!behaviour || !file) {
      response.writeHead(404).end('Entry not found');
      return;
    }
    const weights = match![2]!.startsWith('onnx/');
    if (!weights || behaviour === 'good') {
      response.writeHead(200, { 'content-length': file.length }).end(file);
      return;
    }
    switch (behaviour) {
      case 'corrupt': {
        const altered = Buffer.from(file);
        altered[100] = altered[100]! ^ 0xff;
        response.writeHead(200, { 'content-length': altered.length }).end(altered);
        return;
      }
      case 'truncated': {
        const half = file.subarray(0, file.length / 2);
        response.writeHead(200, { 'content-length': half.length }).end(half);
        return;
      }
      case 'cut':
        response.writeHead(200, { 'content-length': file.length });
        response.write(file.subarray(0, file.length / 2), () => response.destroy());
        return;
      case 'missing':
        response.writeHead(404).end('Entry not found');
        return;
      case 'slow':
        response.writeHead(200, { 'content-length': file.length });
        response.write(file.subarray(0, 10));
        return; // never finishes; the client's stall timeout must fire
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: (behaviour) => `http://127.0.0.1:${port}/${behaviour}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
