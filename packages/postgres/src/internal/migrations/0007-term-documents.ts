/**
 * How many chunks hold each word, per repository and language, kept by the database itself:
 * statement-level triggers on `chunks` add the words of inserted chunks and subtract those of
 * deleted ones (cascades and imports included) in the writing transaction, so every server
 * reads exact document frequencies without counting matches per search. Writers to the same
 * repository take turns on a transaction advisory lock (two keys: the schema and the
 * repository) before touching its counts, so concurrent `writeFile`s cannot deadlock on the
 * counts of common words; writers to different repositories touch different rows. The chunks of
 * a repository that is no longer stored are not counted down word by word: its counts are
 * dropped in one statement (`deleteRepository` removes the repository and its chunks together).
 * Words are the `tsvector` lexemes (stemmed, without weights); `language` is '' for none.
 */
export function termDocumentsMigration(s: string, name: string): string {
  const lockKey = `hashtext('nellie-terms-' || ${quoteLiteral(name)})`;
  const words = (table: string): string => `
    SELECT lexeme COLLATE "C" AS token, repository_id, coalesce(language, '') AS language, count(*) AS n
    FROM ${table}, unnest(tsvector_to_array(tokens)) AS lexeme
    GROUP BY 1, 2, 3`;
  const lock = (table: string): string => `
    PERFORM pg_advisory_xact_lock(${lockKey}, r.repository_id)
    FROM (SELECT DISTINCT repository_id FROM ${table} ORDER BY 1) r;`;
  return `
    CREATE TABLE ${s}.term_documents (
      token text COLLATE "C" NOT NULL,
      repository_id integer NOT NULL,
      language text NOT NULL,
      documents bigint NOT NULL
    );

    CREATE FUNCTION ${s}.count_added_terms() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
      ${lock('added')}
      INSERT INTO ${s}.term_documents AS t (token, repository_id, language, documents)
      SELECT token, repository_id, language, n FROM (${words('added')}) w
      ORDER BY 1, 2, 3
      ON CONFLICT (token, repository_id, language)
      DO UPDATE SET documents = t.documents + excluded.documents;
      RETURN NULL;
    END
    $body$;

    CREATE FUNCTION ${s}.count_removed_terms() RETURNS trigger LANGUAGE plpgsql AS $body$
    DECLARE
      kept integer[];
      dropped integer[];
    BEGIN
      SELECT array_agg(r.repository_id ORDER BY r.repository_id) FILTER (WHERE p.id IS NOT NULL),
        array_agg(r.repository_id) FILTER (WHERE p.id IS NULL)
      INTO kept, dropped
      FROM (SELECT DISTINCT repository_id FROM removed) r
      LEFT JOIN ${s}.repositories p ON p.id = r.repository_id;
      IF dropped IS NOT NULL THEN
        DELETE FROM ${s}.term_documents WHERE repository_id = ANY(dropped);
      END IF;
      IF kept IS NULL THEN
        RETURN NULL;
      END IF;
      PERFORM pg_advisory_xact_lock(${lockKey}, k) FROM unnest(kept) AS k;
      -- Words counted down to nothing are deleted, the others counted down, in one pass over
      -- the removed chunks' words (no row is both: the update needs more than is removed).
      WITH w AS MATERIALIZED (
        ${words(`(SELECT * FROM removed WHERE dropped IS NULL OR repository_id = ANY(kept)) r`)}
      ), gone AS (
        DELETE FROM ${s}.term_documents t USING w
        WHERE t.token = w.token AND t.repository_id = w.repository_id
          AND t.language = w.language AND t.documents <= w.n
      )
      UPDATE ${s}.term_documents t SET documents = t.documents - w.n
      FROM w
      WHERE t.token = w.token AND t.repository_id = w.repository_id
        AND t.language = w.language AND t.documents > w.n;
      RETURN NULL;
    END
    $body$;

    -- Taking the trigger's lock on chunks waits for running writers and holds new ones until
    -- the counts below are in, so no chunk is counted twice or missed.
    CREATE TRIGGER chunks_count_added AFTER INSERT ON ${s}.chunks
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT
      EXECUTE FUNCTION ${s}.count_added_terms();
    CREATE TRIGGER chunks_count_removed AFTER DELETE ON ${s}.chunks
      REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
      EXECUTE FUNCTION ${s}.count_removed_terms();

    -- The counts of the chunks already stored, in one pass over them, sorted rather than hashed
    -- (a million chunks hold ~10^8 words, in ~10^7 groups), with the keys added afterwards.
    SET LOCAL work_mem = '256MB';
    SET LOCAL maintenance_work_mem = '256MB';
    SET LOCAL enable_hashagg = off;
    INSERT INTO ${s}.term_documents (token, repository_id, language, documents)
    ${words(`${s}.chunks`)};
    ALTER TABLE ${s}.term_documents ADD PRIMARY KEY (token, repository_id, language);
    -- A removed repository's counts, dropped whole. \`documents\` is in no index, so counting
    -- a word up or down can update its row in place (HOT) without touching the indexes.
    CREATE INDEX term_documents_repository ON ${s}.term_documents (repository_id);
    -- A search's newest chunks of one repository or language, read newest first (the ids of a
    -- repository are not among the newest of the whole table when others were written since).
    CREATE INDEX chunks_repository_newest ON ${s}.chunks (repository_id, id);
    DROP INDEX ${s}.chunks_language;
    CREATE INDEX chunks_language ON ${s}.chunks (language, id);
    -- Statistics now, not at autovacuum's leisure: without them the planner scans the table
    -- for the searches' range and key look-ups.
    ANALYZE ${s}.term_documents;
  `;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
