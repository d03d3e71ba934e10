/**
 * The concurrency figure: real `nellie serve --database …` processes on the benchmark schema,
 * driven by concurrent HTTP clients (plain fetch; each client sends its next request when the
 * last one is answered). The servers embed each query text with the model from `modelDir`, so
 * their code searches are hybrid, as a user's are.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { percentile } from '../../storage/bench/data.ts';
import { backendCpuBetween, backendCpuSeconds, processCpuSeconds } from './backend-cpu.ts';

export interface LoadOptions {
  cliPath: string;
  connectionString: string;
  schema: string;
  /** A model directory for `--model-dir`; null runs the servers keyword-only. */
  modelDir: string | null;
  /**
   * A directory holding the in-process HNSW index saved by save-vector-index.ts: every server
   * loads it (`--database-vector-index-dir`) instead of building its own from every vector.
   * A server saves it again only after changes, and the servers change nothing.
   */
  vectorIndexDir?: string | undefined;
  servers: number;
  clients: number;
  requestsPerClient: number;
  texts: readonly string[];
  admin: pg.Client;
}

export interface LoadFigures {
  servers: number;
  clients: number;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  max: number;
  requestsPerSecond: number;
  /** How the answers were ranked (`hybrid` or `keyword`), with their counts. */
  modes: Record<string, number>;
  /** CPU of the servers and the PostgreSQL backends per request, in ms (null if unreadable). */
  cpuPerRequest: number | null;
}

interface Server {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

function startServer(options: LoadOptions, dataDir: string): Promise<Server> {
  const args = [
    options.cliPath,
    'serve',
    '--database',
    options.connectionString,
    '--database-schema',
    options.schema,
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--rate-limit',
    '0',
    // The first search of a server without pgvector loads every vector; on a busy machine that
    // can outlast the default 30 s.
    '--request-timeout',
    '600000',
    ...(options.modelDir === null ? ['--model', 'none'] : ['--model-dir', options.modelDir]),
    ...(options.vectorIndexDir === undefined
      ? []
      : ['--database-vector-index-dir', options.vectorIndexDir]),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, HOME: dataDir, NELLIE_OFFLINE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nellie serve did not start within 120 s:\n${stderr}`));
    }, 120_000);
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      const line = stderr
        .split('\n')
        .map((entry) => {
          try {
            return JSON.parse(entry) as { msg?: string; url?: string };
          } catch {
            return null;
          }
        })
        .find((entry) => entry?.msg === 'Nellie is listening');
      if (line?.url) {
        clearTimeout(timer);
        resolve({ child, url: line.url, stderr: () => stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nellie serve exited (${String(code)}) before listening:\n${stderr}`));
    });
  });
}

async function search(
  server: Server,
  query: string,
): Promise<{ ok: boolean; ms: number; mode?: string }> {
  const started = performance.now();
  const response = await fetch(`${server.url}/api/v1/search/code`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, limit: 10 }),
  });
  const body = (await response.json()) as { mode?: string };
  return { ok: response.ok, ms: performance.now() - started, mode: body.mode };
}

async function warmUp(server: Server, options: LoadOptions): Promise<void> {
  const deadline = performance.now() + 600_000;
  const wanted = options.modelDir === null ? 'keyword' : 'hybrid';
  for (let query = 0; ; query += 1) {
    const answer = await search(server, options.texts[query % options.texts.length]!).catch(
      (error: unknown) => {
        if (server.child.exitCode !== null || server.child.signalCode !== null) {
          throw new Error(
            `${server.url} exited (${server.child.exitCode ?? server.child.signalCode}) while warming up:\n${server.stderr()}`,
            { cause: error },
          );
        }
        return { ok: false, mode: undefined };
      },
    );
    if (answer.ok && answer.mode === wanted) break;
    if (performance.now() > deadline) {
      throw new Error(
        `${server.url} did not answer a ${wanted} search within 10 minutes:\n${server.stderr()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  // Without pgvector each server builds its in-process index in the background after it starts:
  // the load is measured once every server has caught up.
  const built = performance.now() + 1_800_000;
  while (options.modelDir !== null) {
    const response = await fetch(`${server.url}/ready`);
    const body = (await response.json()) as { database?: { vectorIndex?: { backlog?: number } } };
    if ((body.database?.vectorIndex?.backlog ?? 0) === 0) break;
    if (performance.now() > built) {
      throw new Error(`${server.url} had not built its vector index within 30 minutes`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  for (let query = 0; query < 5; query += 1) {
    await search(server, options.texts[query % options.texts.length]!);
  }
}

function serversCpuSeconds(servers: readonly Server[]): number | null {
  let total = 0;
  for (const server of servers) {
    const seconds = processCpuSeconds(server.child.pid!);
    if (seconds === null) return null;
    total += seconds;
  }
  return total;
}

/** The schema's stored vectors: the servers only read, so the count must not change. */
async function storedVectors(options: LoadOptions): Promise<number> {
  const { rows } = await options.admin.query<{ n: string }>(
    `SELECT count(*) AS n FROM "${options.schema}".embeddings`,
  );
  return Number(rows[0]?.n ?? 0);
}

export async function runServersUnderLoad(options: LoadOptions): Promise<LoadFigures> {
  const dataDirs = Array.from({ length: options.servers }, () =>
    mkdtempSync(join(tmpdir(), 'nellie-bench-serve-')),
  );
  const servers: Server[] = [];
  const vectorsBefore = await storedVectors(options);
  try {
    for (const dataDir of dataDirs) servers.push(await startServer(options, dataDir));
    // Warm-up: each server loads its model and (without pgvector) every vector on first use,
    // which can outlast a request's timeout on a busy machine: ask until it answers as it will
    // under load (hybrid when it has a model), then a few more times.
    for (const server of servers) await warmUp(server, options);
    const latencies: number[] = [];
    const modes: Record<string, number> = {};
    let errors = 0;
    const serverCpuBefore = serversCpuSeconds(servers);
    const backendBefore = await backendCpuSeconds(options.admin);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.clients }, async (_, client) => {
        for (let request = 0; request < options.requestsPerClient; request += 1) {
          const index = client * options.requestsPerClient + request;
          const server = servers[(client + request) % servers.length]!;
          try {
            const { ok, ms, mode } = await search(
              server,
              options.texts[index % options.texts.length]!,
            );
            if (ok) {
              latencies.push(ms);
              modes[String(mode)] = (modes[String(mode)] ?? 0) + 1;
            } else errors += 1;
          } catch {
            errors += 1;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const serverCpuAfter = serversCpuSeconds(servers);
    const backend = backendCpuBetween(backendBefore, await backendCpuSeconds(options.admin));
    const requests = options.clients * options.requestsPerClient;
    if (latencies.length === 0) {
      throw new Error(`Every search failed under load:\n${servers[0]!.stderr()}`);
    }
    const vectorsAfter = await storedVectors(options);
    if (vectorsAfter !== vectorsBefore) {
      throw new Error(
        `The servers changed the schema's vectors (${vectorsBefore} before, ${vectorsAfter} after): their model id is not the one the schema records (bench-schema.ts benchModel), so they dropped the stored vectors to embed every chunk again.`,
      );
    }
    latencies.sort((a, b) => a - b);
    return {
      servers: options.servers,
      clients: options.clients,
      requests,
      errors,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: latencies.at(-1)!,
      requestsPerSecond: latencies.length / seconds,
      modes,
      cpuPerRequest:
        serverCpuBefore === null || serverCpuAfter === null || backend === null
          ? null
          : ((serverCpuAfter - serverCpuBefore + backend) * 1000) / requests,
    };
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.child.exitCode !== null) return resolve();
            server.child.once('exit', () => resolve());
            server.child.kill('SIGTERM');
          }),
      ),
    );
    for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
  }
}
