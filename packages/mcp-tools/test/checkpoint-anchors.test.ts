import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NellieStore } from '@nellie/core';
import { createSqliteStore } from '@nellie/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, disabledModel, textOf, type Harness } from './support/harness.ts';

// add_checkpoint with anchors against the real SQLite store, on a temporary database file.

let directory: string;
let store: NellieStore | undefined;
let harness: Harness | undefined;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'nellie-mcp-checkpoint-anchors-'));
});

afterEach(async () => {
  await harness?.close();
  await store?.close();
  harness = undefined;
  store = undefined;
  await rm(directory, { recursive: true, force: true });
});

async function writeUpload(target: NellieStore, repositoryId: number, content: string) {
  await target.writeFile(
    repositoryId,
    {
      path: 'src/upload.ts',
      language: 'typescript',
      size: content.length,
      mtimeMs: Date.now(),
      contentHash: content.length.toString(16).padStart(64, '0'),
    },
    [
      {
        startLine: 1,
        endLine: content.split('\n').length,
        content,
        symbolName: 'retryUpload',
        symbolKind: 'function',
        language: 'typescript',
      },
    ],
  );
}

interface CheckpointData {
  checkpoint: { id: string; staleness?: string; anchors?: { path: string; state: string }[] };
}

describe('anchored checkpoints over MCP', () => {
  it('saves a checkpoint anchored to code and shows when that code changed', async () => {
    store = await createSqliteStore({ path: join(directory, 'nellie.db') });
    harness = await connect({
      store,
      modelStatus: disabledModel,
      version: '1.0.0',
      actor: 'tester',
    });
    const repository = await store.upsertRepository({
      rootPath: join(directory, 'shop'),
      name: 'shop',
    });
    await writeUpload(
      store,
      repository.id,
      'export async function retryUpload(file: Blob) {\n  return send(file);\n}',
    );

    const saved = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Making uploads give up after three tries',
      repository: 'shop',
      anchors: ['shop:src/upload.ts#retryUpload'],
    });
    expect(saved.isError ?? false, textOf(saved)).toBe(false);
    const { checkpoint } = saved.structuredContent as unknown as CheckpointData;
    expect(checkpoint).toMatchObject({
      staleness: 'current',
      anchors: [{ path: 'src/upload.ts', state: 'current' }],
    });

    await writeUpload(
      store,
      repository.id,
      'export async function retryUpload(file: Blob, retries = 3) {\n  return send(file, retries);\n}',
    );
    await store.refreshAnchors(repository.id, ['src/upload.ts']);

    const read = await harness.call('get_checkpoint', { id: checkpoint.id });
    expect(read.structuredContent).toMatchObject({
      checkpoint: { staleness: 'changed', anchors: [{ state: 'changed' }] },
    });
    expect(textOf(read)).toContain('Anchored to (changed):');
    expect(textOf(read)).toContain('shop:src/upload.ts:1-3 retryUpload: changed');
    const recent = await harness.call('get_recent_checkpoints', { agent: 'claude' });
    expect(recent.structuredContent).toMatchObject({
      checkpoints: [{ id: checkpoint.id, staleness: 'changed' }],
    });
    expect(textOf(recent)).toContain('anchored code changed');

    const refused = await harness.call('add_checkpoint', {
      agent: 'claude',
      working_on: 'Anchored to nothing',
      anchors: ['shop:src/upload.ts#nothingLikeThis'],
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('Cannot anchor to symbol "nothingLikeThis"');
  });
});
