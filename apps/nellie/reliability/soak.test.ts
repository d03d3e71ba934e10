import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createLargeRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  removeTempDirs,
  startServer,
} from '../test/helpers.ts';
import { openFileDescriptors, percentile, report, rssMiB, scaled, sleep } from './support.ts';

afterEach(killAllServers);
afterAll(removeTempDirs);

type Operation = 'search' | 'lessonWrite' | 'lessonSearch' | 'status';
const operations: readonly Operation[] = ['search', 'lessonWrite', 'lessonSearch', 'status'];

describe('soak', () => {
  it('8 clients during a full index keep memory and descriptors bounded, with no server errors', async () => {
    const clients = 8;
    const durationMs = scaled(40_000, 300_000);
    const repo = createLargeRepo(scaled(2_000, 8_000));
    const server = await startServer({
      args: ['--watch', repo, '--model', 'none', '--rate-limit', '0'],
    });
    const pid = server.child.pid!;
    const startFds = openFileDescriptors(pid);
    const startRss = rssMiB(pid);

    const latencies = new Map<Operation, number[]>(operations.map((name) => [name, []]));
    const failures: string[] = [];
    let peakRss = startRss;
    let peakFds = startFds;
    const deadline = Date.now() + durationMs;

    const request = async (operation: Operation, client: number, index: number) => {
      switch (operation) {
        case 'search':
          return fetchJson(
            `${server.url}/api/v1/search/code`,
            jsonRequest('POST', {
              query: `handler${(client * 97 + index) % 2000}x1 input`,
              limit: 10,
            }),
          );
        case 'lessonWrite':
          return fetchJson(
            `${server.url}/api/v1/lessons`,
            jsonRequest('POST', {
              title: `soak ${client}-${index}`,
              content: 'Keep retries bounded.',
            }),
          );
        case 'lessonSearch':
          return fetchJson(
            `${server.url}/api/v1/lessons/search`,
            jsonRequest('POST', { query: 'bounded retries', limit: 5 }),
          );
        case 'status':
          return fetchJson(`${server.url}/api/v1/status`);
      }
    };

    const sampler = (async () => {
      while (Date.now() < deadline) {
        peakRss = Math.max(peakRss, rssMiB(pid));
        peakFds = Math.max(peakFds, openFileDescriptors(pid));
        await sleep(250);
      }
    })();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let index = 0; Date.now() < deadline; index += 1) {
          const operation = operations[(client + index) % operations.length]!;
          const started = performance.now();
          const response = await request(operation, client, index);
          latencies.get(operation)!.push(performance.now() - started);
          if (response.status >= 300) {
            failures.push(`${operation}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
          }
        }
      }),
    );
    await sampler;
    // Give idle keep-alive sockets a moment to close before counting descriptors.
    await sleep(1_000);
    const endFds = openFileDescriptors(pid);
    await server.stop();

    const figures: Record<string, number> = {
      clients,
      seconds: durationMs / 1000,
      requests: [...latencies.values()].reduce((sum, values) => sum + values.length, 0),
      startRssMiB: startRss,
      peakRssMiB: peakRss,
      startFds,
      peakFds,
      endFds,
    };
    for (const [operation, values] of latencies) {
      figures[`${operation}P50Ms`] = percentile(values, 0.5);
      figures[`${operation}P95Ms`] = percentile(values, 0.95);
    }
    report('soak', figures);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(peakRss).toBeLessThan(768);
    expect(endFds - startFds).toBeLessThan(64);
  });
});
