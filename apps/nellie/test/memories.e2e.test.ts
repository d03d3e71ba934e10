import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Checkpoint, Lesson } from '@nellie/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  runCli,
  startServer,
  waitFor,
} from './helpers.ts';

// Memories tied to code, end to end: a real git repository in a temp directory, `nellie serve`
// watching it, lessons and checkpoints over REST, and the CLI reading the same data directory.

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

const retryUpload = [
  'export async function retryUpload(file: Blob): Promise<void> {',
  '  for (let attempt = 0; attempt < 3; attempt += 1) {',
  '    if (await send(file)) return;',
  '  }',
  '}',
].join('\n');
const retryUploadEdited = retryUpload.replace('attempt < 3', 'attempt < 5');
const formatSize = 'export function formatSize(bytes: number): string {\n  return `${bytes} B`;\n}';

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-C', root, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  }).trim();
}

function write(root: string, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), content);
}

describe('memories tied to code in a watched git repository', () => {
  it('lessons and anchored checkpoints follow the code; checkpoints say what changed since', async () => {
    const root = makeTempDir('nellie-memories-repo-');
    git(root, 'init', '--quiet', '-b', 'main');
    write(root, 'src/upload.ts', `${formatSize}\n\n${retryUpload}\n`);
    write(root, 'src/send.ts', 'export async function send(file: Blob) {\n  return true;\n}\n');
    git(root, 'add', '-A');
    git(root, 'commit', '--quiet', '-m', 'upload');
    const repository = path.basename(root);

    const server = await startServer({ args: ['--watch', root, '--allow-root', root] });
    const api = `${server.url}/api/v1`;
    try {
      await waitFor(
        async () => {
          const { body } = await fetchJson(`${api}/repositories`);
          const found = (body as { repositories: { name: string; files: number }[] }).repositories;
          return found.some((entry) => entry.name === repository && entry.files === 2);
        },
        { what: 'the initial index' },
      );
      const created = await fetchJson(
        `${api}/lessons`,
        jsonRequest('POST', {
          title: 'Uploads must not retry client errors',
          content: 'The CDN bans clients that retry 4xx answers.',
          severity: 'critical',
          repository,
          anchors: [{ repository, path: 'src/upload.ts', symbol: 'retryUpload' }],
        }),
      );
      expect(created.status).toBe(201);
      const lesson = created.body as Lesson;
      expect(lesson.staleness).toBe('current');
      const checkpoint = (
        await fetchJson(
          `${api}/checkpoints`,
          jsonRequest('POST', {
            agent: 'claude-code',
            workingOn: 'Backoff in src/upload.ts',
            state: { next: 'src/send.ts' },
            repository,
            anchors: [{ repository, path: 'src/send.ts', symbol: 'send' }],
          }),
        )
      ).body as Checkpoint;
      expect(checkpoint.git).toEqual({ branch: 'main', commit: git(root, 'rev-parse', 'HEAD') });
      expect(checkpoint.files?.map((file) => file.path)).toEqual(['src/upload.ts', 'src/send.ts']);
      expect(checkpoint.staleness).toBe('current');

      const lessonNow = async () => (await fetchJson(`${api}/lessons/${lesson.id}`)).body as Lesson;
      const until = async (state: string) => {
        const since = Date.now();
        const found = await waitFor(
          async () => {
            const now = await lessonNow();
            return now.staleness === state ? now : undefined;
          },
          { what: `the lesson to be ${state}`, timeoutMs: 15_000, intervalMs: 50 },
        );
        return { lesson: found, ms: Date.now() - since };
      };

      // Edit: the lesson is changed, the checkpoint's file too, one commit since.
      write(root, 'src/upload.ts', `${formatSize}\n\n${retryUploadEdited}\n`);
      git(root, 'commit', '--quiet', '-am', 'five attempts');
      const changed = await until('changed');
      expect(changed.lesson.anchors[0]).toMatchObject({
        path: 'src/upload.ts',
        change: { linesAdded: 1, linesRemoved: 1, signatureChanged: false },
      });
      const [recent] = (await fetchJson(`${api}/checkpoints/recent?repository=${repository}`))
        .body as Checkpoint[];
      expect(recent!.changesSince).toEqual({
        files: [{ path: 'src/upload.ts', change: 'changed' }],
        unchangedFiles: 1,
        git: { branch: 'main', commit: git(root, 'rev-parse', 'HEAD') },
        commitsSince: 1,
      });
      // Its anchor is on send.ts, which did not change.
      expect(recent!.staleness).toBe('current');

      // Confirmed, the lesson takes the code as it is now.
      const confirmed = await fetchJson(
        `${api}/lessons/${lesson.id}/confirm`,
        jsonRequest('POST', {}),
      );
      expect((confirmed.body as Lesson).staleness).toBe('current');

      // Move: the function goes to its own file; the anchor follows it.
      write(root, 'src/net/retry.ts', `${retryUploadEdited}\n`);
      write(root, 'src/upload.ts', `${formatSize}\n`);
      const moved = await until('moved');
      expect(moved.lesson.anchors[0]).toMatchObject({
        path: 'src/net/retry.ts',
        movedFrom: 'src/upload.ts',
      });

      // Delete: gone, and the checkpoint's other file too.
      rmSync(path.join(root, 'src/net/retry.ts'));
      rmSync(path.join(root, 'src/send.ts'));
      const gone = await until('gone');
      await waitFor(
        async () => {
          const [latest] = (await fetchJson(`${api}/checkpoints/recent?repository=${repository}`))
            .body as Checkpoint[];
          return latest!.changesSince?.files.some(
            (file) => file.path === 'src/send.ts' && file.change === 'gone',
          );
        },
        { what: 'the checkpoint to see src/send.ts gone' },
      );
      await waitFor(
        async () =>
          ((await fetchJson(`${api}/checkpoints/${checkpoint.id}`)).body as Checkpoint)
            .staleness === 'gone',
        { what: "the checkpoint's anchor to be gone" },
      );

      // Re-index from scratch: the states stay as they are.
      const job = await fetchJson(
        `${api}/index/jobs`,
        jsonRequest('POST', { path: root, mode: 'full' }),
      );
      const jobId = (job.body as { id: string }).id;
      await waitFor(
        async () =>
          ((await fetchJson(`${api}/index/jobs/${jobId}`)).body as { state: string }).state ===
          'succeeded',
        { what: 'the full re-index' },
      );
      const after = await lessonNow();
      const withoutCheckTime = (entry: Lesson) =>
        entry.anchors.map(({ checkedAt: _, ...anchor }) => anchor);
      expect(after.staleness).toBe('gone');
      expect(withoutCheckTime(after)).toEqual(withoutCheckTime(gone.lesson));

      // The CLI reads the same data directory beside the running server.
      const cli = await runCli(
        ['checkpoints', 'recent', '--data-dir', server.dataDir, '--agent', 'claude-code'],
        { env: cleanEnv() },
      );
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain('Backoff in src/upload.ts');
      expect(cli.stdout).toMatch(
        /since then: 1 commit \(main at [0-9a-f]{7}\); src\/upload\.ts changed, src\/send\.ts gone/,
      );
      expect(cli.stdout).toContain(`anchored (gone): ${repository}:src/send.ts:1#send gone`);
      console.log(
        `file write → lesson state: changed ${changed.ms} ms, moved ${moved.ms} ms, gone ${gone.ms} ms`,
      );
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
