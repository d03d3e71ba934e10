import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startPostgresServer, type PostgresServer } from '@nellie/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  fetchJson,
  killAllServers,
  removeTempDirs,
  repoRoot,
  startServer,
  type RunningServer,
} from './helpers.ts';

const run = promisify(execFile);
const manifest = readFileSync(
  path.join(repoRoot, 'packaging', 'kubernetes', 'postgres', 'deployment.yaml'),
  'utf8',
);

/** The text of one probe block (`livenessProbe:` up to the next key at the same indent). */
function probeBlock(name: string): string {
  const match = new RegExp(`\\n( +)${name}:\\n((?:\\1 .*\\n)+)`).exec(manifest);
  if (!match) throw new Error(`deployment.yaml has no ${name}`);
  return match[2]!;
}

function single(text: string, pattern: RegExp, what: string, group = 1): string {
  const match = pattern.exec(text);
  if (!match) throw new Error(`deployment.yaml: no ${what}`);
  return match[group]!;
}

const containerPort = Number(single(manifest, /containerPort: (\d+)/, 'containerPort'));
const listenPort = Number(
  single(manifest, /name: NELLIE_PORT\n\s+value: '(\d+)'/, 'NELLIE_PORT value'),
);
const probeKey = 'probe';
const probeSecret = 'probe-secret-0123456789abcdef';

let postgres: PostgresServer | undefined;
let server: RunningServer | undefined;

beforeAll(async () => {
  postgres = await startPostgresServer();
  server = await startServer({
    env: cleanEnv({
      NELLIE_DATABASE_URL: postgres.connectionString,
      NELLIE_API_KEYS: `${probeKey}:${probeSecret},agents:agents-secret-0123456789abcdef`,
    }),
  });
}, 120_000);

afterAll(async () => {
  await killAllServers();
  await postgres?.destroy();
  removeTempDirs();
});

describe('the Kubernetes Deployment on PostgreSQL', () => {
  it('sends traffic and probes to the port Nellie listens on', () => {
    expect(listenPort).toBe(containerPort);
    const service = readFileSync(
      path.join(repoRoot, 'packaging', 'kubernetes', 'postgres', 'service.yaml'),
      'utf8',
    );
    expect(service).toContain('targetPort: http');
    expect(manifest).toMatch(/- name: http\n\s+containerPort: \d+/);
  });

  it('checks liveness and startup on /health, which answers without a key', async () => {
    for (const name of ['livenessProbe', 'startupProbe']) {
      const block = probeBlock(name);
      expect(single(block, /port: (\S+)/, `${name} port`)).toBe('http');
      const probePath = single(block, /path: (\S+)/, `${name} path`);
      expect(probePath).toBe('/health');
      expect((await fetchJson(`${server!.url}${probePath}`)).status).toBe(200);
    }
  });

  it('checks readiness on /ready with the probe key, exactly as the pod runs it', async () => {
    const block = probeBlock('readinessProbe');
    const script = single(block, /( +)- >-\n((?:\1  +.*\n)+)/, 'readiness script', 2)
      .split('\n')
      .map((line) => line.trim())
      .join(' ')
      .trim();
    const url = new URL(single(script, /fetch\('([^']+)'/, 'readiness URL'));
    expect(url.pathname).toBe('/ready');
    expect(Number(url.port)).toBe(containerPort);

    // The same command against this test's server (the pod's port is taken on a shared machine).
    const local = script.replace(url.origin, new URL(server!.url).origin);
    const env = { ...process.env, NELLIE_PROBE_API_KEY: probeSecret };
    await expect(run(process.execPath, ['-e', local], { env })).resolves.toBeDefined();
    // Without the key /ready is refused, and the probe fails.
    await expect(
      run(process.execPath, ['-e', local], { env: { ...process.env, NELLIE_PROBE_API_KEY: '' } }),
    ).rejects.toThrow();
    // And it really is the readiness check: with the database stopped the probe fails.
    // (Readiness reads store statistics cached for a second, so the first probes after the stop
    // may still pass; the probe must fail once that cache has expired.)
    await postgres!.stop();
    try {
      let failed = false;
      for (let attempt = 0; attempt < 40 && !failed; attempt += 1) {
        failed = await run(process.execPath, ['-e', local], { env }).then(
          () => false,
          () => true,
        );
        if (!failed) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(failed).toBe(true);
    } finally {
      await postgres!.start();
    }
  });
});
