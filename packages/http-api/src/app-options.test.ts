import { createMemoryStore } from '@nellie/test-utils';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { disabledModel } from '../test/support/harness.ts';
import { createTestMcpServer } from '../test/support/mcp-server.ts';
import { createHttpApp } from './index.ts';

describe('option validation', () => {
  const create = (settings: Record<string, unknown>) => () =>
    createHttpApp({
      version: '1',
      store: createMemoryStore(),
      modelStatus: () => disabledModel,
      registry: new Registry(),
      createMcpServer: createTestMcpServer,
      collectDefaultMetrics: false,
      ...settings,
    });

  it('rejects CORS origins that are not scheme://host[:port], naming the field', () => {
    for (const origin of ['not a url', 'https://example.com/', 'example.com', 'https://a.com/x']) {
      expect(create({ corsOrigins: [origin] }), origin).toThrow(/corsOrigins/);
    }
    expect(create({ corsOrigins: ['not a url'] })).toThrow(/scheme:\/\/host\[:port\]/);
  });

  it('rejects allowed hosts with a scheme or path', () => {
    expect(create({ allowedHosts: ['https://nellie.example.com'] })).toThrow(/allowedHosts/);
    expect(create({ allowedHosts: ['nellie.example.com/'] })).toThrow(/allowedHosts/);
  });

  it('accepts valid origins and hosts', async () => {
    const app = create({
      corsOrigins: ['https://app.example.com', 'http://localhost:3000', '*'],
      allowedHosts: ['nellie.example.com', 'nellie.internal:8443'],
    })();
    await app.close();
  });
});
