import { noopLogger, type Logger, type ModelStatus, type NellieStore } from '@nellie/core';
import { Registry } from 'prom-client';
import { createHttpApp, type HttpApp, type HttpAppOptions } from '../../src/index.ts';
import { createMemoryStore } from '@nellie/test-utils';
import { createTestMcpServer } from './mcp-server.ts';

export const disabledModel: ModelStatus = {
  state: 'disabled',
  modelId: 'Xenova/all-MiniLM-L6-v2',
  message: 'No embedding model found; run `nellie model pull` to turn semantic search on.',
};

/** Collects log lines so tests can assert on them. */
export function createRecordingLogger(): Logger & {
  lines: { level: string; fields: Record<string, unknown>; message: string }[];
} {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface TestApp extends HttpApp {
  store: NellieStore;
  registry: Registry;
  /** `app.request` with JSON encoding of `json` and optional headers. */
  call(
    method: string,
    path: string,
    init?: { json?: unknown; body?: string; headers?: Record<string, string> },
  ): Promise<Response>;
}

export function createTestApp(
  overrides: Partial<HttpAppOptions> & { store?: NellieStore } = {},
): TestApp {
  const store = overrides.store ?? createMemoryStore();
  const registry = overrides.registry ?? new Registry();
  const httpApp = createHttpApp({
    version: '1.2.3',
    modelStatus: () => disabledModel,
    createMcpServer: createTestMcpServer,
    collectDefaultMetrics: false,
    logger: noopLogger,
    ...overrides,
    store,
    registry,
  });
  return {
    ...httpApp,
    store,
    registry,
    call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers['content-type'] ??= 'application/json';
      }
      return Promise.resolve(httpApp.app.request(path, { method, headers, body }));
    },
  };
}
