import { describe, expect, it } from 'vitest';
import type { CodeSearchHit } from './code.ts';
import { chunkLimitForFiles, groupHitsByFile } from './search-vocabulary.ts';

function hit(chunkId: number, path: string, score: number, rootPath = '/work/api'): CodeSearchHit {
  return {
    chunkId,
    repository: rootPath.split('/').at(-1)!,
    rootPath,
    path,
    absolutePath: `${rootPath}/${path}`,
    startLine: chunkId,
    endLine: chunkId + 1,
    symbolName: null,
    symbolKind: null,
    enclosingSymbol: null,
    language: 'typescript',
    content: `chunk ${chunkId}`,
    score,
    scores: { fused: score },
    freshness: { indexedAt: '2025-01-01T00:00:00.000Z', changedSinceIndexed: false },
  };
}

describe('groupHitsByFile', () => {
  it('keeps files in the rank order of their best chunk, each with its best chunks', () => {
    const files = groupHitsByFile(
      [
        hit(1, 'src/a.ts', 0.9),
        hit(2, 'src/b.ts', 0.8),
        hit(3, 'src/a.ts', 0.7),
        hit(4, 'src/a.ts', 0.6),
        hit(5, 'src/a.ts', 0.5),
        hit(6, 'src/a.ts', 0.4, '/work/web'),
      ],
      { limit: 10, chunksPerFile: 3 },
    );
    expect(files.map((file) => [file.absolutePath, file.score])).toEqual([
      ['/work/api/src/a.ts', 0.9],
      ['/work/api/src/b.ts', 0.8],
      ['/work/web/src/a.ts', 0.4],
    ]);
    expect(files[0]!.chunks.map((chunk) => chunk.chunkId)).toEqual([1, 3, 4]);
  });

  it('returns at most limit files', () => {
    const hits = [hit(1, 'a.ts', 3), hit(2, 'b.ts', 2), hit(3, 'c.ts', 1), hit(4, 'a.ts', 0.5)];
    const files = groupHitsByFile(hits, { limit: 2 });
    expect(files.map((file) => file.path)).toEqual(['a.ts', 'b.ts']);
    expect(files[0]!.chunks).toHaveLength(2);
  });

  it('asks the store for more chunks than files, within the result limit', () => {
    expect(chunkLimitForFiles(10)).toBe(30);
    expect(chunkLimitForFiles(50)).toBe(100);
  });
});
