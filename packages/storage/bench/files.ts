/**
 * The files of a benchmark store of N chunks, in the order every store benchmark writes them:
 * `repositoryCount` repositories of 20-chunk files, each chunk with its synthetic vector. The
 * text generator is sequential, so a resumed build walks the files from the start again; files
 * before `from` (a chunk index) are generated but not filled in.
 */
import { createHash } from 'node:crypto';
import type { ChunkInput } from '@nellie/core';
import {
  chunksPerFile,
  clusterCentres,
  CodeTextGenerator,
  fileLanguage,
  repositoryCount,
  vectorAt,
} from './data.ts';

export interface BenchFile {
  /** 0-based; the repository is named `repo-<n>` with root `/bench/repo-<n>`. */
  repository: number;
  file: { path: string; language: string; size: number; mtimeMs: number; contentHash: string };
  chunks: ChunkInput[];
  /** One per chunk: the sha256 of its content and its vector. */
  vectors: { contentHash: string; vector: Float32Array }[];
  /** Chunks generated so far, this file's included. */
  chunksBefore: number;
  /** True for a file before `from`: its chunks and vectors are left empty. */
  skipped: boolean;
}

export const benchRepository = (repository: number): { rootPath: string; name: string } => ({
  rootPath: `/bench/repo-${repository}`,
  name: `repo-${repository}`,
});

export function* benchFiles(size: number, from = 0): Generator<BenchFile> {
  const centres = clusterCentres();
  const text = new CodeTextGenerator(42);
  const files = Math.ceil(size / chunksPerFile);
  const filesPerRepository = Math.ceil(files / repositoryCount);
  let chunkIndex = 0;
  for (let repository = 0; repository < repositoryCount && chunkIndex < size; repository += 1) {
    for (let file = 0; file < filesPerRepository && chunkIndex < size; file += 1) {
      const skipped = chunkIndex < from;
      const chunks: ChunkInput[] = [];
      const vectors: BenchFile['vectors'] = [];
      for (let position = 0; position < chunksPerFile && chunkIndex < size; position += 1) {
        const { symbolName, content } = text.chunk(chunkIndex);
        chunkIndex += 1;
        if (skipped) continue;
        chunks.push({
          startLine: position * 20 + 1,
          endLine: position * 20 + 18,
          content,
          symbolName,
          symbolKind: 'function',
        });
        vectors.push({
          contentHash: createHash('sha256').update(content).digest('hex'),
          vector: vectorAt(centres, chunkIndex - 1),
        });
      }
      const { language, extension } = fileLanguage(file);
      yield {
        repository,
        file: {
          path: `src/module-${file % 50}/file-${file}.${extension}`,
          language,
          size: 1000,
          mtimeMs: 1,
          contentHash: `f${repository}-${file}`,
        },
        chunks,
        vectors,
        chunksBefore: chunkIndex,
        skipped,
      };
    }
  }
}
