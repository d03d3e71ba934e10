import { createHash } from 'node:crypto';
import type { ChunkInput, CodeStore, Repository } from '@nellie/core';

/** A file to seed: its text (one chunk of all its lines), or its chunks. */
export type SeedFile =
  string | { language?: string | null; chunks: readonly ChunkInput[]; mtimeMs?: number };

/**
 * Registers a repository and writes files with their chunks into any store, as the indexer
 * would, so tests can search real content instead of canned hits. Files are TypeScript unless
 * they say otherwise.
 */
export async function seedRepository(
  store: Pick<CodeStore, 'upsertRepository' | 'writeFile'>,
  rootPath: string,
  files: Record<string, SeedFile>,
  options: { name?: string } = {},
): Promise<Repository> {
  const repository = await store.upsertRepository({
    rootPath,
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  for (const [path, file] of Object.entries(files)) {
    const chunks: readonly ChunkInput[] =
      typeof file === 'string'
        ? [{ startLine: 1, endLine: file.split('\n').length, content: file }]
        : file.chunks;
    const content = chunks.map((chunk) => chunk.content).join('\n');
    await store.writeFile(
      repository.id,
      {
        path,
        language: typeof file === 'string' ? 'typescript' : (file.language ?? 'typescript'),
        size: Buffer.byteLength(content),
        mtimeMs: typeof file === 'string' ? 1_700_000_000_000 : (file.mtimeMs ?? 1_700_000_000_000),
        contentHash: createHash('sha256').update(content).digest('hex'),
      },
      chunks,
    );
  }
  return repository;
}
