import type { StoreContext } from './context.ts';
import type { PathTerm } from './ranking/file-names.ts';
import { tokenizer } from './schema.ts';
import { ftsString, pathTokenText } from './tokens.ts';

/** Texts whose tokens are remembered at most; the memory is cleared when full. */
const maxTokenizedTexts = 10_000;

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
  /** Text → the tokens the tokenizer makes of it (it depends on the text only). */
  readonly #tokens = new Map<string, string[]>();
  #dataVersion: number | null = null;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /**
   * FTS5 terms for the path terms some indexed path holds a word for (`"build"*`, `"file"`).
   * A prefix that only one path token starts with is given as that token: in the path column
   * both match the same chunks with the same hits, so bm25 is the same, but a prefix makes FTS5
   * merge the doclists of every word with that prefix in any column (tens of milliseconds at a
   * million chunks when the word is in most paths). Call inside a read.
   */
  matchTerms(terms: readonly PathTerm[]): string[] {
    if (terms.length === 0) return [];
    this.#sync();
    const find = this.#ctx
      .statement(`SELECT 1 FROM temp.nellie_path_words WHERE nellie_path_words MATCH ? LIMIT 1`)
      .pluck();
    const result: string[] = [];
    for (const term of terms) {
      const expression = `${ftsString(term.token)}${term.prefix ? '*' : ''}`;
      if (find.get(expression) === undefined) continue;
      result.push((term.prefix && this.#onlyTokenWithPrefix(term.token)) || expression);
    }
    return result;
  }

  /** `"token"` when exactly one path token starts with `prefix` (as tokenized), else null. */
  #onlyTokenWithPrefix(prefix: string): string | null {
    const tokenized = this.#tokenize(prefix);
    if (tokenized.length !== 1) return null;
    const start = tokenized[0]!;
    const [first, second] = this.#ctx
      .statement(`SELECT term FROM temp.nellie_path_vocab WHERE term >= ? ORDER BY term LIMIT 2`)
      .pluck()
      .all(start) as string[];
    if (first === undefined || !first.startsWith(start)) return null;
    if (second !== undefined && second.startsWith(start)) return null;
    // The token is looked up as text, so it must come out of the tokenizer unchanged.
    const again = this.#tokenize(first);
    return again.length === 1 && again[0] === first ? ftsString(first) : null;
  }

  /** The tokens of `text` as the full-text index makes them (stemmed, diacritics folded). */
  #tokenize(text: string): string[] {
    let tokens = this.#tokens.get(text);
    if (tokens === undefined) {
      this.#ctx.statement(`DELETE FROM temp.nellie_path_probe`).run();
      this.#ctx.statement(`INSERT INTO temp.nellie_path_probe (word) VALUES (?)`).run(text);
      tokens = this.#ctx
        .statement(`SELECT term FROM temp.nellie_path_probe_vocab`)
        .pluck()
        .all() as string[];
      if (this.#tokens.size >= maxTokenizedTexts) this.#tokens.clear();
      this.#tokens.set(text, tokens);
    }
    return tokens;
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
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.nellie_path_vocab
        USING fts5vocab(temp, nellie_path_words, row);
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.nellie_path_probe USING fts5(word, ${tokenizer});
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.nellie_path_probe_vocab
        USING fts5vocab(temp, nellie_path_probe, row);
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
