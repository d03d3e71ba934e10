/**
 * Checkpoints know their code, as in the SQLite store (its schema 5): the indexed repository they
 * were saved in, its git branch and commit, and the files they name with their content hash at
 * the time (JSON text of `{ path, contentHash }`). Rows saved before stay without them.
 */
export function checkpointCodeMigration(s: string): string {
  return `
    ALTER TABLE ${s}.checkpoints
      ADD COLUMN repository_id integer,
      ADD COLUMN git_branch text,
      ADD COLUMN git_commit text,
      ADD COLUMN files text;
  `;
}
