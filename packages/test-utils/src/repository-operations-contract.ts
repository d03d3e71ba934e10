import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeStore, NellieStore } from '@nellie/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * Writes a file under `root` on disk and indexes it (one JavaScript chunk of all its lines), so
 * reading it back goes through the real file.
 */
export async function writeIndexedFile(
  store: Pick<CodeStore, 'writeFile'>,
  repositoryId: number,
  root: string,
  path: string,
  content: string,
): Promise<void> {
  const absolute = join(root, ...path.split('/'));
  mkdirSync(join(absolute, '..'), { recursive: true });
  writeFileSync(absolute, content);
  const info = statSync(absolute);
  await store.writeFile(
    repositoryId,
    { path, language: 'javascript', size: info.size, mtimeMs: info.mtimeMs, contentHash: path },
    [{ startLine: 1, endLine: content.split('\n').length, content }],
  );
}

/** What an interface answered: the data of its answer, or its error's code and message. */
export type InterfaceOutcome =
  | { data: unknown; error?: undefined }
  | { data?: undefined; error: { code: string; message: string } };

/** The repository operations as one interface (REST, MCP) offers them. */
export interface RepositoryOperations {
  list(): Promise<InterfaceOutcome>;
  /** Answers the entry of the removed repository. */
  remove(repository: string): Promise<InterfaceOutcome>;
  rename(repository: string, name: string): Promise<InterfaceOutcome>;
  readFile(request: {
    repository: string;
    path: string;
    startLine?: number;
    endLine?: number;
  }): Promise<InterfaceOutcome>;
}

export interface RepositoryOperationsContractOptions {
  /**
   * Opens the interface over a new, empty store whose files live in `directory`. The suite
   * calls `close` after each test.
   */
  open(directory: string): Promise<{
    store: NellieStore;
    operations: RepositoryOperations;
    /** What `watched` reads for a repository nobody watches: false with an indexer, else null. */
    unwatched: false | null;
    close(): Promise<void>;
  }>;
}

/**
 * The answers every interface gives for the repository operations, with a real store and real
 * files: the same shapes, the same error codes and messages. Run it from each interface's tests:
 * `repositoryOperationsContract('REST', { open: async (directory) => ... })`.
 */
export function repositoryOperationsContract(
  name: string,
  options: RepositoryOperationsContractOptions,
): void {
  describe(`repository operations contract: ${name}`, () => {
    let directory: string;
    let store: NellieStore;
    let operations: RepositoryOperations;
    let unwatched: false | null;
    let opened: Awaited<ReturnType<RepositoryOperationsContractOptions['open']>>;

    beforeEach(async () => {
      directory = mkdtempSync(join(tmpdir(), 'nellie-repository-contract-'));
      opened = await options.open(directory);
      ({ store, operations, unwatched } = opened);
    });

    afterEach(async () => {
      await opened.close();
      rmSync(directory, { recursive: true, force: true });
    });

    const indexFile = (repositoryId: number, root: string, path: string, content: string) =>
      writeIndexedFile(store, repositoryId, root, path, content);

    /** Two repositories named chalk: one indexed with a file, one whose root never existed. */
    async function twoChalks() {
      const first = join(directory, 'a', 'chalk');
      const second = join(directory, 'b', 'chalk');
      const one = await store.upsertRepository({ rootPath: first });
      await store.upsertRepository({ rootPath: second });
      await indexFile(one.id, first, 'index.js', 'export default chalk;');
      const entry = (name: string, rootPath: string, count: number, state: 'ok' | 'missing') => ({
        name,
        rootPath,
        files: count,
        chunks: count,
        chunksWithVectors: 0,
        createdAt: expect.any(String) as unknown,
        lastIndexedAt: null,
        watched: unwatched,
        state,
      });
      return { first, second, chalk: entry('chalk', first, 1, 'ok'), entry };
    }

    it('lists every repository with its counts and root state, auto-named duplicates included', async () => {
      const { second, chalk, entry } = await twoChalks();
      expect(await operations.list()).toEqual({
        data: { repositories: [chalk, entry('chalk-2', second, 0, 'missing')] },
      });
    });

    it('renames, and refuses a name in use', async () => {
      const { second } = await twoChalks();
      expect(await operations.rename('chalk-2', 'chalk-fork')).toEqual({
        data: { name: 'chalk-fork', rootPath: second, previousName: 'chalk-2' },
      });
      const clash = await operations.rename('chalk-fork', 'chalk');
      expect(clash.error?.code).toBe('CONFLICT');
      expect(clash.error?.message).toMatch(/^The repository name "chalk" is already used by /);
    });

    it('removes a repository: its entry comes back and its code no longer answers', async () => {
      const { second, chalk, entry } = await twoChalks();
      expect(await operations.remove('chalk')).toEqual({ data: chalk });
      expect(await store.searchCode({ query: 'chalk' })).toEqual([]);
      expect(await operations.list()).toEqual({
        data: { repositories: [entry('chalk-2', second, 0, 'missing')] },
      });
    });

    it('answers an unknown repository with NOT_FOUND listing the indexed ones', async () => {
      await store.upsertRepository({ rootPath: join(directory, 'api') });
      const notFound = {
        error: {
          code: 'NOT_FOUND',
          message: 'No repository is named or rooted at "nope". Indexed repositories: api.',
        },
      };
      expect(await operations.remove('nope')).toEqual(notFound);
      expect(await operations.rename('nope', 'x')).toEqual(notFound);
      expect(await operations.readFile({ repository: 'nope', path: 'a.js' })).toEqual(notFound);
    });

    describe('reading a file', () => {
      let root: string;
      let outside: string;

      beforeEach(async () => {
        root = join(directory, 'fastify');
        outside = join(directory, 'outside');
        mkdirSync(outside);
        writeFileSync(join(outside, 'id_rsa'), 'PRIVATE KEY');
        const repository = await store.upsertRepository({ rootPath: root });
        const lines = Array.from({ length: 500 }, (_, index) => `// line ${index + 1}`);
        await indexFile(repository.id, root, 'lib/handle-request.js', lines.join('\n'));
        await indexFile(repository.id, root, 'lib/escape.js', 'harmless');
        rmSync(join(root, 'lib', 'escape.js'));
        symlinkSync(join(outside, 'id_rsa'), join(root, 'lib', 'escape.js'));
        writeFileSync(join(root, '.env'), 'SECRET=1');
      });

      it('returns a line range with the total line count and the full location', async () => {
        const path = 'lib/handle-request.js';
        expect(
          await operations.readFile({ repository: 'fastify', path, startLine: 55, endLine: 56 }),
        ).toEqual({
          data: {
            repository: 'fastify',
            rootPath: root,
            path,
            absolutePath: join(root, 'lib', 'handle-request.js'),
            startLine: 55,
            endLine: 56,
            totalLines: 500,
            truncated: false,
            changedSinceIndexed: false,
            content: '// line 55\n// line 56',
          },
        });
        const page = await operations.readFile({ repository: 'fastify', path });
        expect(page.data).toMatchObject({
          startLine: 1,
          endLine: 400,
          truncated: true,
          totalLines: 500,
        });
      });

      it('refuses .., absolute paths, NUL bytes, symlinks out of the root and files not indexed', async () => {
        const refusals: [string, string, string][] = [
          ['../outside/id_rsa', 'INVALID_INPUT', 'relative to the repository root'],
          [join(outside, 'id_rsa'), 'INVALID_INPUT', 'relative to the repository root'],
          ['lib/handle-request.js\0', 'INVALID_INPUT', 'relative to the repository root'],
          ['lib/escape.js', 'INVALID_INPUT', 'lib/escape.js resolves outside the repository root'],
          ['.env', 'NOT_FOUND', '.env is not indexed in repository fastify'],
        ];
        for (const [path, code, message] of refusals) {
          const outcome = await operations.readFile({ repository: 'fastify', path });
          expect(outcome.error?.code, path).toBe(code);
          expect(outcome.error?.message, path).toContain(message);
          expect(JSON.stringify(outcome), path).not.toContain('PRIVATE KEY');
        }
      });
    });
  });
}
