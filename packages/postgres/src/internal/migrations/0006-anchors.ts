/** The columns of an anchor after its owner, as in the SQLite store's `anchors` (its schema 4). */
function anchorColumns(s: string): string {
  return `
      repository_id integer NOT NULL REFERENCES ${s}.repositories(id) ON DELETE CASCADE,
      path text NOT NULL,
      symbol text,
      symbol_key text,
      start_line integer NOT NULL,
      end_line integer NOT NULL,
      content text NOT NULL,
      content_hash text NOT NULL,
      origin text NOT NULL CHECK (origin IN ('explicit', 'automatic')),
      state text NOT NULL CHECK (state IN ('current', 'changed', 'moved', 'gone')),
      lines_added integer,
      lines_removed integer,
      signature_changed integer,
      moved_from text,
      checked_at text NOT NULL`;
}

/**
 * Lessons and checkpoints anchored to code, as in the SQLite store (its schemas 4 and 7): each
 * anchor keeps the code as it was, so indexing can tell whether it is still current, changed,
 * moved or gone. Anchors go with their lesson, checkpoint or repository. Re-indexing looks them
 * up by repository and path, and gone ones by the symbol a written file defines.
 */
export function anchorsMigration(s: string): string {
  return `
    CREATE TABLE ${s}.anchors (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      lesson_seq bigint NOT NULL REFERENCES ${s}.lessons(seq) ON DELETE CASCADE,${anchorColumns(s)}
    );
    CREATE INDEX anchors_lesson ON ${s}.anchors (lesson_seq);
    CREATE INDEX anchors_location ON ${s}.anchors (repository_id, path);
    CREATE INDEX anchors_symbol ON ${s}.anchors (repository_id, symbol_key)
      WHERE symbol_key IS NOT NULL;

    CREATE TABLE ${s}.checkpoint_anchors (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      checkpoint_seq bigint NOT NULL REFERENCES ${s}.checkpoints(seq) ON DELETE CASCADE,${anchorColumns(s)}
    );
    CREATE INDEX checkpoint_anchors_checkpoint ON ${s}.checkpoint_anchors (checkpoint_seq);
    CREATE INDEX checkpoint_anchors_location ON ${s}.checkpoint_anchors (repository_id, path);
    CREATE INDEX checkpoint_anchors_symbol ON ${s}.checkpoint_anchors (repository_id, symbol_key)
      WHERE symbol_key IS NOT NULL;
  `;
}
