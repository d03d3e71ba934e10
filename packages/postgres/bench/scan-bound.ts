/**
 * Measures the bound on newest-chunk scans of common words (`postgresFullText.commonLevelScans`)
 * on a benchmark schema filled by build.ts or bulk-build.ts: the keyword searches of the shared
 * query set, each run unbounded (the default), with at most one and with none of these scans, in
 * turns, with the scans each ran and their statement time, the backends' CPU time and how much
 * of the unbounded top ten each keeps. Usage: scan-bound.ts <chunks> <connection string>
 * <schema> [--queries N]. Prints one JSON line per kind.
 */
import pg from 'pg';
import { percentile } from '../../storage/bench/data.ts';
import { querySet, searchKinds } from '../../storage/bench/query-set.ts';
import { createPostgresStore } from '../src/index.ts';
import { postgresFullText } from '../src/internal/code-search.ts';
import { backendCpuBetween, backendCpuSeconds } from './backend-cpu.ts';
import { schemaArguments } from './bench-schema.ts';

const { connectionString, schema, queries: queryCount } = schemaArguments('scan-bound.ts');

const pool = new pg.Pool({ connectionString, max: 2 });
/** The newest-chunk scans since the last reset: statement time in ms. */
const scans: number[] = [];
const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
(pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (
  ...args
) => {
  const text = (args[0] as { text?: string }).text ?? String(args[0]);
  if (!text.includes('n.tokens @@')) return query(...args);
  const started = performance.now();
  const result = await query(...args);
  scans.push(performance.now() - started);
  return result;
};
const store = await createPostgresStore({ pool, schema, embedding: null });
const admin = new pg.Client({ connectionString });
await admin.connect();

const bounded = postgresFullText.commonLevelScans;
const settings = [
  { label: 'unbounded', commonLevelScans: Number.POSITIVE_INFINITY },
  { label: 'at most 1', commonLevelScans: 1 },
  { label: 'none', commonLevelScans: 0 },
];
for (const kind of searchKinds(querySet(queryCount), { keywordOnly: true })) {
  const figures = settings.map(() => ({
    wall: [] as number[],
    scans: 0,
    scanMs: [] as number[],
    cpu: 0,
    /** Share of the unbounded top ten kept, summed over the queries compared. */
    kept: 0,
  }));
  let compared = 0;
  // Warm-up: the newest chunks and the statistics in the caches for both settings alike.
  for (let index = 0; index < Math.min(10, queryCount); index += 1) {
    await store.searchCode(kind.request(index));
  }
  for (let index = 0; index < queryCount; index += 1) {
    // Once unmeasured first, so no setting pays for reading the query's word counts.
    await store.searchCode(kind.request(index));
    const tops: number[][] = [];
    for (const [at, setting] of settings.entries()) {
      postgresFullText.commonLevelScans = setting.commonLevelScans;
      scans.length = 0;
      const before = await backendCpuSeconds(admin);
      const started = performance.now();
      const hits = await store.searchCode(kind.request(index));
      const figure = figures[at]!;
      figure.wall.push(performance.now() - started);
      figure.cpu += backendCpuBetween(before, await backendCpuSeconds(admin)) ?? Number.NaN;
      figure.scans += scans.length;
      figure.scanMs.push(...scans);
      tops.push(hits.map((hit) => hit.chunkId));
    }
    const unboundedTop = tops[0]!;
    if (unboundedTop.length > 0) {
      compared += 1;
      for (const [at, top] of tops.entries()) {
        figures[at]!.kept +=
          unboundedTop.filter((id) => top.includes(id)).length / unboundedTop.length;
      }
    }
  }
  postgresFullText.commonLevelScans = bounded;
  const summary = Object.fromEntries(
    settings.map((setting, at) => {
      const figure = figures[at]!;
      figure.wall.sort((a, b) => a - b);
      figure.scanMs.sort((a, b) => a - b);
      return [
        setting.label,
        {
          p50: percentile(figure.wall, 50),
          p95: percentile(figure.wall, 95),
          scansPerSearch: figure.scans / queryCount,
          scanMsP95: percentile(figure.scanMs, 95),
          scanMsMax: figure.scanMs.at(-1) ?? 0,
          scanMsPerSearch: figure.scanMs.reduce((sum, ms) => sum + ms, 0) / queryCount,
          backendCpuMsPerSearch: (figure.cpu * 1000) / queryCount,
          topTenKept: compared > 0 ? figure.kept / compared : null,
        },
      ];
    }),
  );
  process.stdout.write(
    `${JSON.stringify({ kind: kind.label, queries: queryCount, ...summary })}\n`,
  );
}
await admin.end();
await store.close();
await pool.end();
