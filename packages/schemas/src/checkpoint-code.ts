import { z } from 'zod';

// Checkpoints that know their code (@nellie/core `checkpoints.ts`): the git position and the
// files a checkpoint recorded, and what changed since, in the checkpoint views of MCP and REST.
// Lean like the anchor views: MCP's `tools/list` carries them.

/** The repository's branch (null on a detached HEAD) and commit. */
export const checkpointGitSchema = z.object({
  branch: z.string().nullable(),
  commit: z.string(),
});

/** An indexed file a checkpoint names, with its content hash when the checkpoint was saved. */
export const checkpointFileSchema = z.object({ path: z.string(), contentHash: z.string() });

/** What changed in a checkpoint's code since it was saved. */
export const checkpointChangesSchema = z.object({
  files: z.array(z.object({ path: z.string(), change: z.enum(['changed', 'gone']) })),
  unchangedFiles: z.number(),
  git: checkpointGitSchema.optional(),
  commitsSince: z.number().optional(),
});

/** The optional code fields of a checkpoint view. */
export const checkpointCodeFields = {
  git: checkpointGitSchema.optional(),
  files: z.array(checkpointFileSchema).optional(),
  changesSince: checkpointChangesSchema.optional(),
};
