import type { StoreContext } from './context.ts';
import type { PathTerm } from './ranking/file-names.ts';
import { tokenizer } from './schema.ts';
import { ftsString, pathTokenText } from './tokens.ts';

/**
 * The words of every file path, in a small full-text table of this connection (TEMP, in memory)
 * with the tokenizer of `chunks_fts`, one row per distinct word. It tells whether a path term
 * can match at all before `chunks_fts` is asked: there a prefix query on the path column reads
 * every chunk holding a word with that prefix in any column (tens of milliseconds for a common
 * word at a million chunks, and it usually finds nothing), here only the path words.
 *
 * It may hold words of paths no longer indexed (a term it keeps then simply finds nothing), never
 * too few: files this connection inserts or renames are queued by TEMP triggers and their words
 * added at the next search; a commit by another connection (`PRAGMA data_version`) rebuilds it.
 */
export class PathWords {
  readonly #ctx: StoreContext;
  readonly #known = new Set<string>();
  #dataVersion: number | null = null;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** The terms some indexed path holds a word for. Call inside a read. */
  present(terms: readonly PathTerm[]): PathTerm[] {
    if (terms.length === 0) return [];
    this.#sync();
    const find = this.#ctx
      .statement(`SELECT 1 FROM temp.nellie_path_words WHERE nellie_path_words MATCH ? LIMIT 1`)
      .pluck();
    return terms.filter(
      (term) => find.get(`${ftsString(term.token)}${term.prefix ? '*' : ''}`) !== undefined,
    );
  }

  #sync(): void {
    const dataVersion = this.#ctx.db.pragma('data_version', { simple: true }) as number;
    if (this.#dataVersion === null) this.#create();
    if (dataVersion !== this.#dataVersion) {
      this.#ctx.db.exec(`DELETE FROM temp.nellie_path_words; DELETE FROM temp.nellie_path_files;`);
      this.#known.clear();
      this.#add(this.#ctx.statement(`SELECT path FROM files`).pluck().iterate());
      this.#dataVersion = dataVersion;
      return;
    }
    const queued = this.#ctx
      .statement(`SELECT f.path FROM temp.nellie_path_files q JOIN files f ON f.id = q.file_id`)
      .pluck()
      .all() as string[];
    if (queued.length === 0) return;
    this.#add(queued);
    this.#ctx.statement(`DELETE FROM temp.nellie_path_files`).run();
  }

  #create(): void {
    this.#ctx.db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.nellie_path_words USING fts5(word, ${tokenizer});
      CREATE TABLE IF NOT EXISTS temp.nellie_path_files (file_id INTEGER NOT NULL);
      CREATE TEMP TRIGGER IF NOT EXISTS nellie_path_files_insert AFTER INSERT ON main.files
      BEGIN INSERT INTO nellie_path_files (file_id) VALUES (new.id); END;
      CREATE TEMP TRIGGER IF NOT EXISTS nellie_path_files_rename AFTER UPDATE OF path ON main.files
      BEGIN INSERT INTO nellie_path_files (file_id) VALUES (new.id); END;
    `);
  }

  /** Adds the words of these paths (as `chunks_fts` indexes them) that are not held yet. */
  #add(paths: Iterable<unknown>): void {
    const insert = this.#ctx.statement(`INSERT INTO temp.nellie_path_words (word) VALUES (?)`);
    const added: string[] = [];
    for (const path of paths) {
      for (const word of pathTokenText(path as string).split(' ')) {
        if (word === '' || this.#known.has(word)) continue;
        this.#known.add(word);
        added.push(word);
      }
    }
    // Space separates tokens for the tokenizer, so word by word indexes what the whole text would.
    this.#ctx.db.transaction(() => {
      for (const word of added) insert.run(word);
    })();
  }
}
