import {
  listRepositoryEntries,
  NellieError,
  removeRepository,
  renameRepository,
  type RepositoryEntry,
} from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openStore } from '../open-store.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStderr, writeStdout } from '../internal/output.ts';

type StoreWork = (store: Awaited<ReturnType<typeof openStore>>) => Promise<number>;

/** Opens the store for one repository command; an unknown repository name exits 2 (usage). */
async function withStore(context: CommandContext, work: StoreWork): Promise<number> {
  const store = await openStore(context.config.settings, { logger: context.logger });
  try {
    return await work(store);
  } catch (error) {
    if (NellieError.is(error) && (error.code === 'NOT_FOUND' || error.code === 'CONFLICT')) {
      await writeStderr(`nellie: ${error.message}\n`);
      return exitCodes.usage;
    }
    throw error;
  } finally {
    await store.close();
  }
}

function publicEntry({ id: _id, ...entry }: RepositoryEntry): Omit<RepositoryEntry, 'id'> {
  return entry;
}

function describeEntry(entry: RepositoryEntry): string {
  const indexed = entry.lastIndexedAt === null ? 'never indexed' : `indexed ${entry.lastIndexedAt}`;
  const missing = entry.state === 'missing' ? '  MISSING: root directory is gone' : '';
  return (
    `${entry.name}\t${entry.rootPath}\t${entry.files} files, ${entry.chunks} chunks ` +
    `(${entry.chunksWithVectors} with vectors), ${indexed}${missing}`
  );
}

/** `nellie repos list`: every repository with its root, counts and whether the root exists. */
export function runReposList(context: CommandContext): Promise<number> {
  return withStore(context, async (store) => {
    const entries = await listRepositoryEntries(store, undefined);
    if (context.options.json === true) {
      await printJson({ repositories: entries.map(publicEntry) });
    } else if (entries.length === 0) {
      await writeStdout('No repository is indexed yet; add one with `nellie index <dir>`.\n');
    } else {
      await writeStdout(`${entries.map(describeEntry).join('\n')}\n`);
    }
    return exitCodes.ok;
  });
}

/** `nellie repos remove <name>`: drops a repository's files, chunks and unused vectors. */
export function runReposRemove(context: CommandContext, name: string): Promise<number> {
  return withStore(context, async (store) => {
    const removed = await removeRepository(store, undefined, name);
    await store.recordAudit({
      actor: 'cli',
      channel: 'cli',
      action: 'repository.remove',
      target: removed.name,
      details: { rootPath: removed.rootPath, files: removed.files, chunks: removed.chunks },
    });
    if (context.options.json === true) {
      await printJson({ removed: publicEntry(removed) });
    } else {
      await writeStdout(
        `Removed ${removed.name} (${removed.rootPath}): ${removed.files} files, ${removed.chunks} chunks. Files on disk are untouched.\n`,
      );
    }
    return exitCodes.ok;
  });
}

/** `nellie repos rename <name> <new-name>`. */
export function runReposRename(
  context: CommandContext,
  name: string,
  newName: string,
): Promise<number> {
  return withStore(context, async (store) => {
    const renamed = await renameRepository(store, name, newName);
    await store.recordAudit({
      actor: 'cli',
      channel: 'cli',
      action: 'repository.rename',
      target: renamed.name,
      details: { previousName: name, rootPath: renamed.rootPath },
    });
    if (context.options.json === true) {
      await printJson({ name: renamed.name, rootPath: renamed.rootPath, previousName: name });
    } else {
      await writeStdout(`Renamed ${name} to ${renamed.name} (${renamed.rootPath}).\n`);
    }
    return exitCodes.ok;
  });
}
