import { execFileSync } from 'node:child_process';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  startServer,
  waitFor,
} from '../test/helpers.ts';
import { missingLessons, report, type AcknowledgedLesson } from './support.ts';

const mounts: string[] = [];

afterEach(killAllServers);
afterAll(() => {
  for (const mount of mounts.splice(0)) execFileSync('umount', ['-l', mount]);
  removeTempDirs();
});

/** A small filesystem of its own, so the data directory can really run out of space. */
function smallFilesystem(megabytes: number): string {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error(
      'The disk-full test mounts a small tmpfs: run the reliability suite as root on Linux (as CI does).',
    );
  }
  const directory = makeTempDir('nellie-small-fs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', directory]);
  mounts.push(directory);
  return directory;
}

describe('a full disk', () => {
  it('turns the server not ready, loses nothing acknowledged, and recovers by itself', async () => {
    const mount = smallFilesystem(48);
    const dataDir = path.join(mount, 'data');
    const server = await startServer({ dataDir, args: ['--model', 'none', '--rate-limit', '0'] });
    expect((await fetchJson(`${server.url}/ready`)).status).toBe(200);

    // Leave about 1.5 MiB free.
    const filler = path.join(mount, 'filler');
    const { bavail, bsize } = statfsSync(mount);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 1.5 * 1024 * 1024)));

    const acknowledged: AcknowledgedLesson[] = [];
    let failure: { status: number; body: unknown } | undefined;
    for (let index = 0; index < 2_000 && !failure; index += 1) {
      const response = await fetchJson(
        `${server.url}/api/v1/lessons`,
        jsonRequest('POST', {
          title: `full disk ${index}`,
          content: `${index} ${'y'.repeat(15_000)}`,
        }),
      );
      if (response.status === 201) acknowledged.push(response.body as AcknowledgedLesson);
      else failure = response;
    }
    expect(failure?.status).toBe(503);
    expect(JSON.stringify(failure?.body)).toMatch(/STORE_UNAVAILABLE/);

    const notReady = await fetchJson(`${server.url}/ready`);
    expect(notReady.status).toBe(503);
    expect(JSON.stringify(notReady.body)).toMatch(/disk|space|full/i);

    rmSync(filler);
    await waitFor(async () => (await fetchJson(`${server.url}/ready`)).status === 200, {
      timeoutMs: 30_000,
      what: '/ready to recover once space is free',
    });
    const after = await fetchJson(
      `${server.url}/api/v1/lessons`,
      jsonRequest('POST', { title: 'after the disk was freed', content: 'writes work again' }),
    );
    expect(after.status).toBe(201);
    expect(await missingLessons(server, acknowledged)).toEqual([]);
    await server.stop();
    report('disk full', { acknowledgedWrites: acknowledged.length, lost: 0 });
  });
});
