import type { ScoreBreakdown } from '@nellie/core';
import type { StoreContext } from './context.ts';
import { breakdown, fuseLexicalAndVector } from './ranking/fusion.ts';
import { rankPlainHits } from './ranking/hit-ranking.ts';
import {
  collectLevels,
  looseQueryLevels,
  strictQueryLevels,
  type LexicalRow,
} from './ranking/query-levels.ts';
import { candidatePool } from './ranking/settings.ts';
import { analyzeQuery } from './tokens.ts';

/** Where lessons or checkpoints live. Internal constants only; never built from user input. */
export interface MemoryTable {
  table: 'lessons' | 'checkpoints';
  /** The alias the filter SQL uses for the table. */
  alias: 'l' | 'k';
  /** bm25 weights of the columns of `<table>_fts`, in column order. */
  columnWeights: readonly number[];
}

export interface MemoryFilterSql {
  /** `AND …` conditions on the table's alias, with named parameters. */
  sql: string;
  params: Record<string, unknown>;
}

/**
 * Hybrid search over lessons or checkpoints: levelled lexical matches (strict, then loose) and
 * cosine similarity, fused by reciprocal rank fusion. Returns rows best first.
 */
export function searchMemoryTable<Row extends { seq: number }>(
  ctx: StoreContext,
  source: MemoryTable,
  request: { query: string; queryVector?: Float32Array; limit: number },
  filter: MemoryFilterSql,
): { row: Row; score: number; scores: ScoreBreakdown }[] {
  const { table, alias } = source;
  const bm25Weights = source.columnWeights.map((weight) => weight.toFixed(2)).join(', ');
  const pool = candidatePool(request.limit);
  const analyzed = analyzeQuery(request.query);
  const lexicalStatement = ctx.statement(
    `SELECT ${alias}.seq AS id, bm25(${table}_fts, ${bm25Weights}) AS bm25
     FROM ${table}_fts JOIN ${table} ${alias} ON ${alias}.seq = ${table}_fts.rowid
     WHERE ${table}_fts MATCH $match${filter.sql}
     ORDER BY bm25 LIMIT $limit`,
  );
  const lexical =
    analyzed.terms.length === 0
      ? []
      : rankPlainHits(
          collectLevels(
            [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)],
            pool,
            (match, limit) =>
              lexicalStatement.all({ ...filter.params, match, limit }) as LexicalRow[],
          ),
        );
  const vector = request.queryVector
    ? (ctx
        .statement(
          `SELECT ${alias}.seq AS id, 1 - vec_distance_cosine(e.vector, $query) AS similarity
           FROM ${table} ${alias} JOIN embeddings e ON e.content_hash = ${alias}.content_hash
           WHERE 1${filter.sql}
           ORDER BY similarity DESC, ${alias}.seq DESC LIMIT $limit`,
        )
        .all({ ...filter.params, query: request.queryVector, limit: pool }) as {
        id: number;
        similarity: number;
      }[])
    : [];
  const fused = fuseLexicalAndVector(
    lexical.map((hit) => hit.row.id),
    vector.map((hit) => hit.id),
    request.query,
  ).slice(0, request.limit);
  if (fused.length === 0) return [];
  const rows = ctx
    .statement(
      `SELECT ${alias}.* FROM json_each(?) j JOIN ${table} ${alias} ON ${alias}.seq = j.value`,
    )
    .all(JSON.stringify(fused.map((entry) => entry.item))) as Row[];
  const bySeq = new Map(rows.map((row) => [row.seq, row]));
  const lexicalScores = new Map(lexical.map((hit) => [hit.row.id, hit.score]));
  const similarities = new Map(vector.map((hit) => [hit.id, hit.similarity]));
  const hits: { row: Row; score: number; scores: ScoreBreakdown }[] = [];
  for (const entry of fused) {
    const row = bySeq.get(entry.item);
    if (row)
      hits.push({ row, score: entry.score, scores: breakdown(entry, lexicalScores, similarities) });
  }
  return hits;
}
