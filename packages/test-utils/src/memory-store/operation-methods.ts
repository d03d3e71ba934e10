/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import { writeFile } from 'node:fs/promises';
import { NellieError, throwIfAborted } from '@nellie/core';
import { publicCheckpointOf } from './checkpoint-methods.ts';
import { publicLessonOf } from './lesson-methods.ts';
import type { MemoryState, StoreMethods } from './state.ts';

export type OperationMethod =
  'stats' | 'backup' | 'integrityCheck' | 'maintenance' | 'probeWrite' | 'close';

/** Statistics, backup, maintenance and closing. */
export function operationMethods(state: MemoryState): StoreMethods<OperationMethod> {
  const { embeddingModel, repositories, files, chunks, lessons, checkpoints, vectors, anchors } =
    state;
  const publicLesson = publicLessonOf(anchors);
  const publicCheckpoint = publicCheckpointOf(state.checkpointAnchors);
  return {
    async stats() {
      const all = [...chunks.values()];
      const withVectors = all.filter((chunk) => vectors.has(chunk.contentHash)).length;
      return {
        repositories: repositories.size,
        files: [...files.values()].reduce((sum, map) => sum + map.size, 0),
        chunks: all.length,
        chunksWithVectors: withVectors,
        chunksPendingEmbedding: embeddingModel ? all.length - withVectors : 0,
        lessons: lessons.size,
        checkpoints: checkpoints.length,
        embeddingModel,
        schemaVersion: 1,
        databaseBytes: 0,
      };
    },
    async backup(destinationPath, backupOptions = {}) {
      throwIfAborted(backupOptions.signal);
      const snapshot = JSON.stringify({
        repositories: [...repositories.values()],
        lessons: [...lessons.values()].map(publicLesson),
        checkpoints: checkpoints.map(publicCheckpoint),
      });
      try {
        await writeFile(destinationPath, snapshot, { flag: backupOptions.replace ? 'w' : 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new NellieError(
            'CONFLICT',
            `${destinationPath} exists; pass replace to replace it.`,
          );
        }
        throw error;
      }
      return { bytes: Buffer.byteLength(snapshot) };
    },
    async integrityCheck() {
      return { ok: true, problems: [] };
    },
    async maintenance(maintenanceOptions = {}) {
      return {
        integrity: { ok: true, problems: [] },
        analyzed: true,
        ftsOptimized: true,
        vacuumed: (maintenanceOptions.vacuum ?? 'auto') !== 'never',
        bytesBefore: 0,
        bytesAfter: 0,
      };
    },
    async probeWrite() {},
    async close() {},
  };
}
