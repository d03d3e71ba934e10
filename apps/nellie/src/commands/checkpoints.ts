import { describeCheckpointChanges, NellieError, type Checkpoint } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openStore } from '../open-store.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStderr, writeStdout } from '../internal/output.ts';

function describeCheckpoint(checkpoint: Checkpoint): string {
  const where = [
    checkpoint.repository,
    checkpoint.git
      ? `${checkpoint.git.branch ?? 'detached HEAD'} at ${checkpoint.git.commit.slice(0, 7)}`
      : null,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `${checkpoint.id}  ${checkpoint.createdAt}  [${checkpoint.status}]  ${checkpoint.agent}${where ? `  (${where})` : ''}`,
    `  ${checkpoint.workingOn}`,
  ];
  if (checkpoint.files && checkpoint.files.length > 0) {
    lines.push(`  files: ${checkpoint.files.map((file) => file.path).join(', ')}`);
  }
  if (checkpoint.anchors) {
    const anchors = checkpoint.anchors.map(
      (anchor) =>
        `${anchor.repository}:${anchor.path}:${anchor.startLine}${anchor.symbol ? `#${anchor.symbol}` : ''} ${anchor.state}`,
    );
    lines.push(`  anchored (${checkpoint.staleness}): ${anchors.join(', ')}`);
  }
  const changes = checkpoint.changesSince && describeCheckpointChanges(checkpoint.changesSince);
  if (changes) lines.push(`  ${changes}`);
  return lines.join('\n');
}

/**
 * `nellie checkpoints recent [--agent A] [--repository R] [--limit N] [--json]`: the latest
 * checkpoints, newest first, each with what changed in the files it names (and in git) since.
 */
export async function runCheckpointsRecent(context: CommandContext): Promise<number> {
  const { agent, repository, limit } = context.options as {
    agent?: string;
    repository?: string;
    limit?: number;
  };
  const store = await openStore(context.config.settings, { logger: context.logger });
  try {
    const checkpoints = await store.getRecentCheckpoints({
      ...(agent === undefined ? {} : { agent }),
      ...(repository === undefined ? {} : { repository }),
      ...(limit === undefined ? {} : { limit }),
    });
    if (context.options.json === true) {
      await printJson({ checkpoints });
    } else if (checkpoints.length === 0) {
      await writeStdout('No checkpoints yet.\n');
    } else {
      await writeStdout(`${checkpoints.map(describeCheckpoint).join('\n\n')}\n`);
    }
    return exitCodes.ok;
  } catch (error) {
    if (NellieError.is(error) && error.code === 'INVALID_INPUT') {
      await writeStderr(`nellie: ${error.message}\n`);
      return exitCodes.usage;
    }
    throw error;
  } finally {
    await store.close();
  }
}
