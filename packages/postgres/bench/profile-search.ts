/**
 * Where a search's time goes on a benchmark schema: runs the searches of one kind of the shared
 * query set (packages/storage/bench/query-set.ts) one after another and times every statement the
 * store sends, grouped by the statement's text (its first words), beside the search's wall time.
 * Usage: profile-search.ts <chunks> <connection string> <schema> [--queries N]
 * [--vector-index-dir <dir>] [--kind hybrid] [--hits FILE] [--slowest N]. `--hits` writes every
 * search's hits (chunk ids and scores) as JSON, to compare two versions of the code; `--slowest`
 * prints the N slowest statements with their parameters, to EXPLAIN them. `--idle-ms N` lets
 * the pool close connections idle for N ms and waits longer than that before each search, so
 * every search starts on new connections (new server backends), as the first search after a
 * quiet spell longer than the pool's idle timeout does.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { percentile } from '../../storage/bench/data.ts';
import { querySet, searchKinds } from '../../storage/bench/query-set.ts';
import { createPostgresStore } from '../src/index.ts';
import { benchModel } from './bench-schema.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    queries: { type: 'string', default: '100' },
    'vector-index-dir': { type: 'string' },
    kind: { type: 'string', default: 'hybrid' },
    hits: { type: 'string' },
    slowest: { type: 'string', default: '0' },
    'idle-ms': { type: 'string' },
  },
});
const [size, connectionString, schema] = positionals;
const queryCount = Number(values.queries);
const idleMs = values['idle-ms'] === undefined ? null : Number(values['idle-ms']);
if (
  !size ||
  !connectionString ||
  !schema ||
  !Number.isInteger(queryCount) ||
  queryCount < 1 ||
  (idleMs !== null && !(Number.isInteger(idleMs) && idleMs > 0))
) {
  throw new Error(
    'Usage: profile-search.ts <chunks> <connection string> <schema> [--queries N] [--vector-index-dir DIR] [--kind LABEL] [--hits FILE] [--slowest N] [--idle-ms N]',
  );
}
const kinds = searchKinds(querySet(queryCount), { keywordOnly: false });
// Labels hold ", " ("hybrid, one repository"): kinds are separated by a comma alone.
const selected = values.kind.split(/,(?! )/).map((label) => {
  const kind = kinds.find((candidate) => candidate.label === label);
  if (!kind) throw new Error(`--kind takes one of: ${kinds.map((k) => k.label).join(', ')}`);
  return kind;
});

interface Statement {
  label: string;
  text: string;
  values: unknown[];
  ms: number;
  rows: number;
}
let recording: Statement[] | null = null;
const poolQuery = pg.Pool.prototype.query;
// Every read the store makes goes through Pool.query with a config object.
pg.Pool.prototype.query = function timedQuery(this: pg.Pool, ...args: unknown[]) {
  const config = args[0] as { text: string; values?: unknown[] };
  const started = performance.now();
  const result = (poolQuery as (...a: unknown[]) => Promise<pg.QueryResult>).apply(this, args);
  if (recording === null || typeof config !== 'object') return result;
  const log = recording;
  return result.then((answer) => {
    const label = config.text.replace(/\s+/g, ' ').trim().slice(0, 90);
    log.push({
      label,
      text: config.text,
      values: config.values ?? [],
      ms: performance.now() - started,
      rows: answer.rowCount ?? 0,
    });
    return answer;
  });
} as typeof pg.Pool.prototype.query;

const store = await createPostgresStore({
  ...(idleMs === null
    ? { connectionString }
    : { pool: new pg.Pool({ connectionString, max: 10, idleTimeoutMillis: idleMs }) }),
  schema,
  embedding: benchModel,
  memoryIndex: { threads: 0 },
  ...(values['vector-index-dir'] === undefined
    ? {}
    : { vectorIndexDir: values['vector-index-dir'] }),
});
await store.syncVectorIndex();

const hitsOut: Record<string, { id: number; score: number }[][]> = {};
for (const kind of selected) {
  for (let query = 0; query < Math.min(20, queryCount); query += 1) {
    await store.searchCode(kind.request(query));
  }
  const walls: number[] = [];
  const inStatements: number[] = [];
  const byLabel = new Map<string, { count: number; ms: number; rows: number }>();
  const all: Statement[] = [];
  const hits: { id: number; score: number }[][] = [];
  const searches: { wall: number; statements: Statement[] }[] = [];
  for (let query = 0; query < queryCount; query += 1) {
    if (idleMs !== null) await new Promise((resolve) => setTimeout(resolve, idleMs + 100));
    recording = [];
    const started = performance.now();
    const result = await store.searchCode(kind.request(query));
    walls.push(performance.now() - started);
    searches.push({ wall: walls.at(-1)!, statements: recording });
    hits.push(result.map((hit) => ({ id: hit.chunkId, score: hit.score })));
    inStatements.push(recording.reduce((sum, statement) => sum + statement.ms, 0));
    for (const statement of recording) {
      const entry = byLabel.get(statement.label) ?? { count: 0, ms: 0, rows: 0 };
      entry.count += 1;
      entry.ms += statement.ms;
      entry.rows += statement.rows;
      byLabel.set(statement.label, entry);
      all.push(statement);
    }
    recording = null;
  }
  hitsOut[kind.label] = hits;
  walls.sort((a, b) => a - b);
  const statementTotal = inStatements.reduce((sum, ms) => sum + ms, 0);
  const wallTotal = walls.reduce((sum, ms) => sum + ms, 0);
  console.log(
    `\n== ${kind.label}: ${queryCount} searches, wall p50 ${percentile(walls, 50).toFixed(1)} / p95 ${percentile(walls, 95).toFixed(1)} ms, mean ${(wallTotal / queryCount).toFixed(1)} ms; in statements (sequential sum) mean ${(statementTotal / queryCount).toFixed(1)} ms, ${(all.length / queryCount).toFixed(1)} statements a search`,
  );
  for (const [label, entry] of [...byLabel].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(
      `${(entry.ms / queryCount).toFixed(2).padStart(7)} ms/search  ${(entry.count / queryCount).toFixed(2).padStart(5)}×  ${(entry.ms / entry.count).toFixed(2).padStart(7)} ms each  ${(entry.rows / entry.count).toFixed(0).padStart(6)} rows  ${label}`,
    );
  }
  // The slowest tenth of the searches (those that set the p95): where their time goes.
  const slowTenth = searches.sort((a, b) => b.wall - a.wall).slice(0, Math.ceil(queryCount / 10));
  const slowByLabel = new Map<string, { count: number; ms: number }>();
  for (const statement of slowTenth.flatMap((search) => search.statements)) {
    const entry = slowByLabel.get(statement.label) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += statement.ms;
    slowByLabel.set(statement.label, entry);
  }
  const slowWall = slowTenth.reduce((sum, search) => sum + search.wall, 0) / slowTenth.length;
  console.log(`-- its slowest ${slowTenth.length}: wall mean ${slowWall.toFixed(1)} ms`);
  for (const [label, entry] of [...slowByLabel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6)) {
    console.log(
      `${(entry.ms / slowTenth.length).toFixed(2).padStart(7)} ms/search  ${(entry.count / slowTenth.length).toFixed(2).padStart(5)}×  ${label}`,
    );
  }
  for (const statement of all.sort((a, b) => b.ms - a.ms).slice(0, Number(values.slowest))) {
    console.log(
      `\n-- ${statement.ms.toFixed(1)} ms, ${statement.rows} rows\n${statement.text}\n-- ${JSON.stringify(statement.values).slice(0, 2000)}`,
    );
  }
}
if (values.hits !== undefined) writeFileSync(values.hits, JSON.stringify(hitsOut));
await store.close();
