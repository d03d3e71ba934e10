/**
 * Migration 9: the look-ups that map vector candidates to chunks read indexes only. The
 * in-process vector index answers with embedding ids; a search maps them to their content
 * hashes and those to the chunks in its scope (repository, language, files). Through the
 * primary key and `chunks_content_hash` that read a row of `embeddings` (its vector included)
 * and a row of `chunks` (its content included) per candidate — thousands of scattered heap
 * pages for a search scoped to one repository. These indexes carry the columns those joins read.
 * `chunks_content_hash` is replaced: the wider index serves its look-ups by hash as well.
 */
export function coveringLookupsMigration(s: string): string {
  return `
    CREATE INDEX embeddings_id_content_hash ON ${s}.embeddings (id) INCLUDE (content_hash);
    CREATE INDEX chunks_content_hash_scope ON ${s}.chunks (content_hash)
      INCLUDE (id, repository_id, language, file_id);
    DROP INDEX ${s}.chunks_content_hash;
  `;
}
