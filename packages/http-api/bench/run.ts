/**
 * HTTP layer benchmark: REST search and probes through a real socket with 8 concurrent clients,
 * on a SQLite store holding a synthetic code corpus (keyword search; no model involved).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { noopLogger } from '@nellie/core';
import { createSqliteStore } from '@nellie/storage';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createHttpApp } from '../src/index.ts';

const files = 2_000;
const chunksPerFile = 10;
const concurrency = 8;
const requestsPerClient = 250;

const words = [
  'parse',
  'config',
  'retry',
  'backoff',
  'server',
  'request',
  'handler',
  'token',
  'cache',
  'index',
  'vector',
  'lesson',
  'checkpoint',
  'agent',
  'stream',
  'session',
  'metric',
  'queue',
  'worker',
  'embed',
  'search',
  'score',
  'chunk',
  'file',
  'repository',
  'audit',
  'limit',
];
const pick = (seed: number, index: number) => words[(seed * 31 + index * 17) % words.length]!;

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

async function load(
  url: string,
  makeRequest: (index: number) => RequestInit & { path: string },
): Promise<{ p50: number; p95: number; p99: number; perSecond: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_unused, client) => {
      for (let index = 0; index < requestsPerClient; index += 1) {
        const { path, ...init } = makeRequest(client * requestsPerClient + index);
        const before = performance.now();
        const response = await fetch(url + path, init);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${path} answered ${response.status}`);
        latencies.push(performance.now() - before);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    perSecond: latencies.length / seconds,
  };
}

const directory = mkdtempSync(join(tmpdir(), 'nellie-http-bench-'));
const store = await createSqliteStore({ path: join(directory, 'bench.db') });
try {
  const repository = await store.upsertRepository({ rootPath: directory, name: 'bench' });
  for (let file = 0; file < files; file += 1) {
    const chunks = Array.from({ length: chunksPerFile }, (_unused, chunk) => {
      const name = `${pick(file, chunk)}${pick(chunk, file)}${file}_${chunk}`;
      const content = `export function ${name}(input: string) {\n  return ${pick(file + chunk, 3)}(${pick(file, chunk + 5)}(input));\n}`;
      return {
        startLine: chunk * 3 + 1,
        endLine: chunk * 3 + 3,
        content,
        symbolName: name,
        symbolKind: 'function',
        language: 'typescript',
      };
    });
    await store.writeFile(
      repository.id,
      {
        path: `src/module-${file}.ts`,
        language: 'typescript',
        size: 1000,
        mtimeMs: 0,
        contentHash: file.toString(16).padStart(64, '0'),
      },
      chunks,
    );
  }

  const createStarted = performance.now();
  const { app, close } = createHttpApp({
    version: 'bench',
    store,
    modelStatus: () => ({ state: 'disabled', modelId: 'none' }),
    registry: new Registry(),
    createMcpServer: () => new McpServer({ name: 'bench', version: '0' }),
    logger: noopLogger,
    rateLimit: false,
  });
  const createMs = performance.now() - createStarted;
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(started),
    );
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Warm up.
  await load(url, () => ({ path: '/health' }));
  const health = await load(url, () => ({ path: '/health' }));
  const search = await load(url, (index) => ({
    path: '/api/v1/search/code',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `${pick(index, 1)} ${pick(index, 2)}`, limit: 10 }),
  }));
  const metrics = await load(url, () => ({ path: '/metrics' }));

  const format = (name: string, result: Awaited<ReturnType<typeof load>>) =>
    `${name.padEnd(28)} p50 ${result.p50.toFixed(2).padStart(7)} ms  p95 ${result.p95.toFixed(2).padStart(7)} ms  p99 ${result.p99.toFixed(2).padStart(7)} ms  ${result.perSecond.toFixed(0).padStart(6)} req/s`;
  console.log(
    `corpus: ${files} files, ${files * chunksPerFile} chunks; ${concurrency} concurrent clients x ${requestsPerClient} requests`,
  );
  console.log(`createHttpApp: ${createMs.toFixed(1)} ms`);
  console.log(format('GET /health', health));
  console.log(format('POST /api/v1/search/code', search));
  console.log(format('GET /metrics', metrics));
  console.log(
    `RSS: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB; load average: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );

  await close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
} finally {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
}
