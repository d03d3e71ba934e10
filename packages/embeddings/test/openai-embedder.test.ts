/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest's asymmetric matchers (expect.stringContaining…) are typed any */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOpenAiEmbedder, type OpenAiEmbedderOptions } from '../src/index.ts';
import { norm } from './helpers.ts';

interface Received {
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
  headers: IncomingMessage['headers'];
}

type Handler = (request: Received, response: ServerResponse) => void;

const received: Received[] = [];
let handler: Handler = () => undefined;
let baseUrl = '';
const server = createServer((request, response) => {
  let data = '';
  request.on('data', (chunk: Buffer) => (data += chunk.toString()));
  request.on('end', () => {
    const entry: Received = {
      body: JSON.parse(data) as Received['body'],
      headers: request.headers,
    };
    received.push(entry);
    handler(entry, response);
  });
});

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});
afterEach(() => {
  received.length = 0;
  handler = () => undefined;
});

/** A vector that encodes its text: [length, first char code, 1]. */
function vectorOf(text: string): number[] {
  return [text.length, text.charCodeAt(0), 1];
}

function json(response: ServerResponse, status: number, body: unknown, headers = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

const answer: Handler = ({ body }, response) =>
  json(response, 200, {
    object: 'list',
    model: body.model,
    data: body.input.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: vectorOf(text),
    })),
  });

function create(options: Partial<OpenAiEmbedderOptions> = {}) {
  return createOpenAiEmbedder({
    baseUrl,
    model: 'test-embed',
    dimensions: 3,
    retryBaseDelayMs: 1,
    ...options,
  });
}

describe('createOpenAiEmbedder against a loopback server', () => {
  it('posts batches to /v1/embeddings and returns normalised vectors in order', async () => {
    handler = ({ body }, response) =>
      // Answer in reverse order: the index field says which is which.
      json(response, 200, {
        data: body.input.map((text, index) => ({ index, embedding: vectorOf(text) })).reverse(),
      });
    await using embedder = create({ batchSize: 2, apiKey: 'sk-test', headers: { 'x-team': 'a' } });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const vectors = await embedder.embed(texts);
    expect(received).toHaveLength(3);
    expect(received.map((request) => request.body.input.length)).toEqual([2, 2, 1]);
    expect(received[0]!.body).toMatchObject({ model: 'test-embed', encoding_format: 'float' });
    expect(received[0]!.body.dimensions).toBeUndefined();
    expect(received[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(received[0]!.headers['x-team']).toBe('a');
    vectors.forEach((vector, index) => {
      expect(norm(vector)).toBeCloseTo(1, 5);
      const expected = vectorOf(texts[index]!);
      const length = Math.hypot(...expected);
      expect(vector[0]).toBeCloseTo(expected[0]! / length, 5);
    });
  });

  it('sends dimensions and prefixes when configured', async () => {
    handler = answer;
    await using embedder = create({
      requestDimensions: true,
      queryPrefix: 'search_query: ',
      documentPrefix: 'search_document: ',
    });
    await embedder.embed(['doc']);
    await embedder.embed(['question'], { priority: 'query' });
    expect(received.map((request) => request.body.input[0])).toEqual([
      'search_document: doc',
      'search_query: question',
    ]);
    expect(received[0]!.body.dimensions).toBe(3);
  });

  it('retries 429 (honouring Retry-After) and 5xx, then succeeds', async () => {
    let calls = 0;
    handler = (request, response) => {
      calls += 1;
      if (calls === 1)
        json(response, 429, { error: { message: 'slow down' } }, { 'retry-after': '0' });
      else if (calls === 2) json(response, 503, { error: 'overloaded' });
      else answer(request, response);
    };
    await using embedder = create({ maxRetries: 3 });
    await expect(embedder.embed(['x'])).resolves.toHaveLength(1);
    expect(calls).toBe(3);
    expect(embedder.status().state).toBe('ready');
  });

  it('gives up after maxRetries with EMBEDDING_FAILED and reports it in status', async () => {
    handler = (_request, response) => json(response, 500, { error: { message: 'internal' } });
    await using embedder = create({ maxRetries: 2 });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
      message: expect.stringMatching(/HTTP 500.*internal.*gave up after 3 attempts/),
    });
    expect(received).toHaveLength(3);
    expect(embedder.status()).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('HTTP 500'),
    });
    handler = answer;
    await embedder.embed(['recovered']);
    expect(embedder.status().state).toBe('ready');
  });

  it('does not retry client errors, and never shows the API key', async () => {
    handler = ({ headers }, response) =>
      json(response, 401, { error: { message: `Invalid key ${String(headers.authorization)}` } });
    await using embedder = create({ apiKey: 'sk-secret-value' });
    const error = await embedder.embed(['x']).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'EMBEDDING_FAILED' });
    expect((error as Error).message).toContain('HTTP 401');
    expect((error as Error).message).toContain('Check the API key');
    expect((error as Error).message).not.toContain('sk-secret-value');
    expect(JSON.stringify(embedder.status())).not.toContain('sk-secret-value');
    expect(received).toHaveLength(1);
  });

  it('times out a request that gets no answer', async () => {
    handler = () => undefined; // never answers
    await using embedder = create({ timeoutMs: 100, maxRetries: 1 });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
      message: expect.stringMatching(/did not answer within 100 ms.*gave up after 2 attempts/),
    });
    expect(received).toHaveLength(2);
  });

  it('reports an endpoint that cannot be reached', async () => {
    await using embedder = create({ baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 1 });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
      message: expect.stringContaining(
        'Cannot reach the embedding endpoint http://127.0.0.1:9/v1/embeddings',
      ),
    });
  });

  it.each([
    ['a missing data array', { embeddings: [] }, /no "data" array/],
    ['too few embeddings', { data: [] }, /0 embeddings for 1 texts/],
    [
      'a non-numeric embedding',
      { data: [{ index: 0, embedding: ['a', 'b', 'c'] }] },
      /not a list of numbers/,
    ],
    [
      'a null in an embedding',
      { data: [{ index: 0, embedding: [1, null, 2] }] },
      /not a list of numbers/,
    ],
    [
      'a repeated index',
      {
        data: [
          { index: 0, embedding: [1, 2, 3] },
          { index: 0, embedding: [1, 2, 3] },
        ],
      },
      /out of range or repeated/,
    ],
    ['a zero vector', { data: [{ index: 0, embedding: [0, 0, 0] }] }, /zero vector/],
  ])('rejects a response with %s', async (_label, body, message) => {
    handler = (_request, response) => json(response, 200, body);
    await using embedder = create();
    const texts = (body as { data?: unknown[] }).data?.length === 2 ? ['x', 'y'] : ['x'];
    await expect(embedder.embed(texts)).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
      message: expect.stringMatching(message),
    });
  });

  it('rejects vectors of another width with DIMENSION_MISMATCH', async () => {
    handler = (_request, response) =>
      json(response, 200, { data: [{ index: 0, embedding: [1, 2, 3, 4] }] });
    await using embedder = create();
    await expect(embedder.embed(['x'])).rejects.toMatchObject({
      code: 'DIMENSION_MISMATCH',
      message: expect.stringContaining('returned 4-dimensional vectors, but dimensions is 3'),
    });
  });

  it('accepts base64 embeddings from servers that send them anyway', async () => {
    handler = (_request, response) =>
      json(response, 200, {
        data: [
          { index: 0, embedding: Buffer.from(Float32Array.of(3, 4, 0).buffer).toString('base64') },
        ],
      });
    await using embedder = create();
    const [vector] = await embedder.embed(['x']);
    expect(Array.from(vector!)).toEqual([expect.closeTo(0.6, 5), expect.closeTo(0.8, 5), 0]);
  });

  it('rejects empty texts with INVALID_INPUT before sending anything', async () => {
    handler = answer;
    await using embedder = create();
    await expect(embedder.embed(['ok', ''])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('texts[1]'),
    });
    expect(received).toHaveLength(0);
  });

  it('sends queued queries before queued bulk batches', async () => {
    const held: (() => void)[] = [];
    handler = (request, response) => held.push(() => answer(request, response));
    await using embedder = create({ maxConcurrency: 1, batchSize: 1 });
    const bulk = embedder.embed(['b1', 'b2', 'b3']);
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const query = embedder.embed(['q'], { priority: 'query' });
    expect(embedder.queueDepth()).toBe(4);
    for (let request = 0; request < 4; request += 1) {
      await vi.waitFor(() => expect(held).toHaveLength(1));
      held.shift()!();
    }
    await Promise.all([bulk, query]);
    expect(received.map((request) => request.body.input[0])).toEqual(['b1', 'q', 'b2', 'b3']);
  });

  it('cancels an in-flight request with ABORTED and bounds the queue', async () => {
    handler = () => undefined;
    await using embedder = create({ maxQueue: 2, maxConcurrency: 1, batchSize: 1 });
    const controller = new AbortController();
    const inFlight = embedder.embed(['x'], { signal: controller.signal });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await expect(embedder.embed(['a', 'b', 'c'])).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    controller.abort();
    await expect(inFlight).rejects.toMatchObject({ code: 'ABORTED' });
    expect(embedder.queueDepth()).toBe(0);
  });

  it('rejects pending work with STORE_CLOSED on close', async () => {
    handler = () => undefined;
    const embedder = create();
    const pending = embedder.embed(['x']).catch((error: unknown) => error);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await embedder.close();
    await expect(pending).resolves.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(embedder.embed(['y'])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    expect(embedder.status().state).toBe('disabled');
  });
});
