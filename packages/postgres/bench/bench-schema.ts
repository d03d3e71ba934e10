import { parseArgs } from 'node:util';
import { dimensions } from '../../storage/bench/data.ts';
import { defaultQueryCount } from '../../storage/bench/query-set.ts';

/**
 * The model the benchmark schema records: the id `nellie serve` gives its default model loaded
 * from a directory (`--model-dir`, q8, read with its manifest's `split-identifiers` text
 * preparation), so the servers of the concurrency run accept the schema and embed their query
 * texts with it; the stored vectors themselves are synthetic. A server given another id of the
 * same model takes the stored vectors for outdated ones, drops them and embeds every chunk again.
 */
export const benchModel = { modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers', dimensions };

export interface SchemaArguments {
  size: number;
  connectionString: string;
  schema: string;
  keywordOnly: boolean;
  /** build.ts: files written at a time. */
  writers: number;
  /** query.ts: queries of each kind. */
  queries: number;
  /** query.ts: the SQLite bench store directory holding the ground truth. */
  truth: string | undefined;
  /** query.ts, save-vector-index.ts: where the in-process HNSW index is saved and loaded. */
  vectorIndexDir: string | undefined;
}

/** `<chunks> <connection string> <schema>` and the flags of build.ts and query.ts. */
export function schemaArguments(script: string): SchemaArguments {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      'keyword-only': { type: 'boolean', default: false },
      writers: { type: 'string', default: '4' },
      queries: { type: 'string', default: String(defaultQueryCount) },
      truth: { type: 'string' },
      'vector-index-dir': { type: 'string' },
    },
  });
  const [size, connectionString, schema] = positionals;
  const parsed = {
    size: Number(size),
    writers: Number(values.writers),
    queries: Number(values.queries),
  };
  if (
    !connectionString ||
    !schema ||
    Object.values(parsed).some((value) => !Number.isInteger(value) || value < 1)
  ) {
    throw new Error(
      `Usage: ${script} <chunks> <connection string> <schema> [--keyword-only] [--writers N] [--queries N] [--truth <dir>] [--vector-index-dir <dir>]`,
    );
  }
  return {
    ...parsed,
    connectionString,
    schema,
    keywordOnly: values['keyword-only'],
    truth: values.truth,
    vectorIndexDir: values['vector-index-dir'],
  };
}
