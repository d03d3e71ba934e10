import type { ScoreBreakdown } from '@nellie/core';
import {
  analyzeQuery,
  breakdown,
  candidatePool,
  collectLevels,
  fuseLexicalAndVector,
  looseQueryLevels,
  rankPlainHits,
  strictQueryLevels,
  type LexicalRow,
} from '@nellie/storage/store-kit';
import { Parameters, type Queryable } from './database.ts';
import { checkSearchQuery, type SearchContext } from './search-context.ts';
import { toTsquery } from './tsquery.ts';
import type { VectorIndex } from './vectors.ts';

/** Where lessons or checkpoints live. Internal constants only; never built from user input. */
export interface MemoryTable {
  /** The table in the store's schema. */
  table: 'lessons' | 'checkpoints';
  /** The alias the filter SQL uses for the table. */
  alias: 'l' | 'k';
  /** `ts_rank` weights {D, C, B, A} of the table's `tokens`, from the SQLite bm25 weights. */
  rankWeights: string;
}

/** `AND …` conditions on the table's alias, adding their values to `params`. */
export type MemoryFilter = (params: Parameters) => string;

interface MemoryRequest {
  query: string;
  queryVector?: Float32Array;
  limit: number;
}

/**
 * Hybrid search over lessons or checkpoints, as the SQLite store does it: levelled full-text
 * matches (strict, then loose) and cosine similarity, fused by reciprocal rank fusion. The query
 * is checked first; `filter` gives the request's conditions. Returns rows best first.
 */
export function searchMemoryTable<Row extends { seq: number }>(
  context: SearchContext,
  source: MemoryTable,
  request: MemoryRequest,
  filter: (db: Queryable) => Promise<MemoryFilter>,
): Promise<{ row: Row; score: number; scores: ScoreBreakdown }[]> {
  checkSearchQuery(context, request);
  return context.database.read(async (db) =>
    search<Row>(
      db,
      { ...source, table: `${context.s}.${source.table}`, config: context.config },
      request,
      await filter(db),
      context.vectors,
    ),
  );
}

async function search<Row extends { seq: number }>(
  db: Queryable,
  source: Omit<MemoryTable, 'table'> & { table: string; config: string },
  request: MemoryRequest,
  filter: MemoryFilter,
  vectors: VectorIndex | null,
): Promise<{ row: Row; score: number; scores: ScoreBreakdown }[]> {
  const { table, alias } = source;
  const pool = candidatePool(request.limit);
  const analyzed = analyzeQuery(request.query);
  const levels = [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)];
  const fetched = new Map<string, LexicalRow[]>();
  let found = 0;
  for (const level of levels) {
    if (analyzed.terms.length === 0 || found >= pool) break;
    const params = new Parameters();
    const match = `to_tsquery(${source.config}, ${params.p(toTsquery(level.match))})`;
    const conditions = filter(params);
    // bm25 is lower-is-better in the shared ranking, so the rank is negated.
    const { rows } = await db.query<LexicalRow>(
      `SELECT ${alias}.seq AS id,
         -ts_rank('${source.rankWeights}'::float4[], ${alias}.tokens, ${match}) AS bm25
       FROM ${table} ${alias}
       WHERE ${alias}.tokens @@ ${match}${conditions}
       ORDER BY bm25, ${alias}.seq DESC LIMIT ${params.p(pool + found)}`,
      params.values,
    );
    fetched.set(level.match, rows);
    found += rows.length;
  }
  const lexical = rankPlainHits(
    collectLevels(
      levels.filter((level) => fetched.has(level.match)),
      pool,
      (match) => fetched.get(match) ?? [],
    ),
  );
  let vector: { id: number; similarity: number }[] = [];
  if (request.queryVector && vectors) {
    const params = new Parameters();
    const conditions = filter(params);
    vector = await vectors.score(db, {
      query: request.queryVector,
      rows: {
        sql: `SELECT ${alias}.seq AS id, ${alias}.content_hash FROM ${table} ${alias}
              WHERE true${conditions}`,
        values: params.values,
      },
      k: pool,
    });
  }
  const fused = fuseLexicalAndVector(
    lexical.map((hit) => hit.row.id),
    vector.map((hit) => hit.id),
    request.query,
  ).slice(0, request.limit);
  if (fused.length === 0) return [];
  const { rows } = await db.query<Row>(
    `SELECT ${alias}.* FROM ${table} ${alias} WHERE ${alias}.seq = ANY($1::bigint[])`,
    [fused.map((entry) => entry.item)],
  );
  const bySeq = new Map(rows.map((row) => [row.seq, row]));
  const lexicalScores = new Map(lexical.map((hit) => [hit.row.id, hit.score]));
  const similarities = new Map(vector.map((hit) => [hit.id, hit.similarity]));
  return fused.flatMap((entry) => {
    const row = bySeq.get(entry.item);
    return row
      ? [{ row, score: entry.score, scores: breakdown(entry, lexicalScores, similarities) }]
      : [];
  });
}
