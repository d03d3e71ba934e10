import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  runCli,
  startServer,
} from './helpers.ts';

afterEach(async () => {
  await killAllServers();
});
afterAll(() => {
  removeTempDirs();
});

interface CreatedOutput {
  key: { id: string; principal: string; scope: string; repositories: string[] | null };
  secret: string;
}

describe('nellie keys', () => {
  it('refuses bad flags and arguments with exit 2 and a clear message', async () => {
    const dataDir = makeTempDir();
    const cases: { args: string[]; message: RegExp }[] = [
      { args: ['keys', 'create', 'alice'], message: /--scope <scope>' not specified/ },
      {
        args: ['keys', 'create', 'alice', '--scope', 'owner'],
        message: /Allowed choices are read, write, admin/,
      },
      {
        args: ['keys', 'create', 'has space', '--scope', 'read'],
        message: /principal may hold letters/,
      },
      {
        args: ['keys', 'create', 'alice', '--scope', 'read', '--repository', ''],
        message: /repository name must not be empty/,
      },
      { args: ['keys', 'list', '--bogus'], message: /unknown option '--bogus'/ },
      { args: ['keys', 'revoke', 'nope'], message: /key id is 12 hexadecimal digits/ },
      { args: ['keys', 'revoke', '0123456789ab'], message: /No API key with id 0123456789ab/ },
      { args: ['keys', 'revoke'], message: /missing required argument 'id'/ },
    ];
    for (const { args, message } of cases) {
      const result = await runCli([...args, '--data-dir', dataDir]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('creates keys shown once, lists them without secrets, and a revoked key is refused by the running server at once', async () => {
    const dataDir = makeTempDir();
    const create = async (args: string[]): Promise<CreatedOutput> => {
      const result = await runCli(['keys', 'create', ...args, '--data-dir', dataDir, '--json']);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as CreatedOutput;
    };
    const reader = await create(['alice', '--scope', 'read', '--description', 'laptop']);
    const writer = await create(['ci', '--scope', 'write', '--repository', 'app']);
    expect(reader.secret).toMatch(/^nellie_[0-9a-f]{12}_/);
    expect(writer.key).toMatchObject({ principal: 'ci', scope: 'write', repositories: ['app'] });

    const text = await runCli(['keys', 'create', 'bob', '--scope', 'admin', '--data-dir', dataDir]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim()).toMatch(/^nellie_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(text.stderr).toContain('shown only now');

    const listed = await runCli(['keys', 'list', '--data-dir', dataDir]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${reader.key.id}\talice\tread\tall repositories`);
    expect(listed.stdout).toContain(`${writer.key.id}\tci\twrite\t"app"`);
    for (const secret of [reader.secret, writer.secret, text.stdout.trim()]) {
      expect(listed.stdout).not.toContain(secret.slice(20));
    }

    const server = await startServer({ dataDir });
    const api = `${server.url}/api/v1`;
    const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
    // Stored keys turn authentication on.
    expect((await fetchJson(`${api}/lessons`)).status).toBe(401);
    expect((await fetchJson(`${api}/lessons`, { headers: bearer(reader.secret) })).status).toBe(
      200,
    );
    const refused = await fetchJson(
      `${api}/lessons`,
      jsonRequest('POST', { title: 'A', content: 'B' }, bearer(reader.secret)),
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'FORBIDDEN' } });

    const revoked = await runCli(['keys', 'revoke', reader.key.id, '--data-dir', dataDir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${reader.key.id} of alice`);
    expect((await fetchJson(`${api}/lessons`, { headers: bearer(reader.secret) })).status).toBe(
      401,
    );

    const all = await runCli(['keys', 'list', '--all', '--json', '--data-dir', dataDir]);
    const keys = (JSON.parse(all.stdout) as { keys: { id: string; revokedAt: string | null }[] })
      .keys;
    expect(keys.find((key) => key.id === reader.key.id)?.revokedAt).not.toBeNull();
    const live = await runCli(['keys', 'list', '--json', '--data-dir', dataDir]);
    expect((JSON.parse(live.stdout) as { keys: unknown[] }).keys).toHaveLength(2);
    await server.stop();
  });
});
