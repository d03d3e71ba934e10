/**
 * PostgreSQL store benchmark, side by side with the SQLite store on the same synthetic data and
 * queries (packages/storage/bench): insert throughput, keyword, hybrid and filtered search
 * latency with CPU time per query, and search latency of several `nellie serve --database`
 * processes under concurrent clients.
 *
 *   pnpm --filter @nellie/postgres bench                         # 100k and 1M chunks
 *   pnpm --filter @nellie/postgres bench -- --sizes 20000,100000
 *   ... --database postgres://user@host/db   a server of yours instead of a throwaway one
 *   ... --keyword-only   full-text searches only (no vectors written, servers keyword-only)
 *   ... --servers 3 --clients 16 --requests 25   the concurrency run (--servers 0 skips it)
 *   ... --load-modes keyword,hybrid   the concurrency run once per mode (default: hybrid)
 *   ... --vector-index-dir DIR   the in-process HNSW index saved by save-vector-index.ts, loaded
 *                                by the query process and every server instead of built
 *   ... --postgres-only  no SQLite column (its 1M store takes long to build)
 *   ... --queries 200    queries of each kind, one after another, per store
 *   ... --rebuild        builds the stores again
 *
 * Without `--database` a throwaway PostgreSQL cluster is started (`startPostgresServer()`, the
 * machine's own binaries) and deleted at the end, so its schemas are built every run. With
 * `--database`, each size's schema (`nellie_bench_<size>_…`) is kept and reused, and a build
 * that was stopped resumes. The SQLite figures come from the SQLite benchmark's cached stores.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgresServer, type PostgresServer } from '@nellie/test-utils';
import pg from 'pg';
import { defaultQueryCount, querySet, type SearchFigures } from '../../storage/bench/query-set.ts';
import {
  dataVersion,
  defaultCacheDir,
  ensureSqliteStore,
  loadavg,
  parseSizes,
  querySqliteStore,
  runBenchScript,
} from '../../storage/bench/sqlite-bench.ts';
import { runServersUnderLoad, type LoadFigures } from './servers.ts';

const here = new URL('.', import.meta.url).pathname;
const repoRoot = resolve(here, '..', '..', '..');

const { values } = parseArgs({
  // `pnpm bench -- --sizes …` passes the `--` through.
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    sizes: { type: 'string', default: process.env.NELLIE_BENCH_SIZES ?? '100000,1000000' },
    database: { type: 'string' },
    'keyword-only': { type: 'boolean', default: false },
    'postgres-only': { type: 'boolean', default: false },
    'vector-index-dir': { type: 'string' },
    'load-modes': { type: 'string' },
    rebuild: { type: 'boolean', default: false },
    'cache-dir': { type: 'string', default: defaultCacheDir() },
    writers: { type: 'string', default: '4' },
    servers: { type: 'string', default: '3' },
    clients: { type: 'string', default: '16' },
    requests: { type: 'string', default: '25' },
    queries: { type: 'string', default: String(defaultQueryCount) },
    'model-dir': {
      type: 'string',
      default:
        process.env.NELLIE_MODEL_DIR ??
        join(repoRoot, '..', 'shared', 'models', 'all-MiniLM-L6-v2'),
    },
  },
});
const sizes = parseSizes(values.sizes);
const counts = ['writers', 'servers', 'clients', 'requests', 'queries'] as const;
for (const name of counts) {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < (name === 'servers' ? 0 : 1)) {
    console.error(`--${name} takes a whole number${name === 'servers' ? '' : ' of at least 1'}`);
    process.exit(2);
  }
}
if (sizes === null) {
  console.error('--sizes takes a comma-separated list of chunk counts, each at least 1000');
  process.exit(2);
}
if (values.database !== undefined && !/^postgres(ql)?:\/\//.test(values.database)) {
  console.error('--database takes a postgres:// connection string');
  process.exit(2);
}
const keywordOnly = values['keyword-only'];
const loadModes = (values['load-modes'] ?? (keywordOnly ? 'keyword' : 'hybrid')).split(',');
if (
  loadModes.some((mode) => mode !== 'keyword' && mode !== 'hybrid') ||
  (keywordOnly && loadModes.includes('hybrid'))
) {
  console.error(
    `--load-modes takes keyword, hybrid or keyword,hybrid${keywordOnly ? ' (keyword only with --keyword-only)' : ''}`,
  );
  process.exit(2);
}
if (values['vector-index-dir'] !== undefined && keywordOnly) {
  console.error('--vector-index-dir needs vectors: leave out --keyword-only');
  process.exit(2);
}
const vectorIndexDir =
  values['vector-index-dir'] === undefined ? undefined : resolve(values['vector-index-dir']);
const cliPath = join(repoRoot, 'apps', 'nellie', 'dist', 'cli.js');
const servers = Number(values.servers);
if (servers > 0 && !existsSync(cliPath)) {
  console.error(`The concurrency run needs the built CLI at ${cliPath}: run pnpm build first.`);
  process.exit(2);
}
const modelDir = values['model-dir'];
if (servers > 0 && loadModes.includes('hybrid') && !existsSync(join(modelDir, 'config.json'))) {
  console.error(
    `The servers embed query texts with the model in ${modelDir}, which is missing: give --model-dir (or NELLIE_MODEL_DIR), --keyword-only or --servers 0.`,
  );
  process.exit(2);
}

const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : `${value.toFixed(1)} ms`;
const pair = (figures: SearchFigures | undefined): string =>
  figures ? `${ms(figures.p50)} / ${ms(figures.p95)}` : '—';

let throwaway: PostgresServer | undefined;
const stopThrowaway = async (): Promise<void> => {
  await throwaway?.destroy();
};
process.once('SIGINT', () => {
  void stopThrowaway().finally(() => process.exit(130));
});

interface Column {
  heading: string;
  insert: string;
  results: SearchFigures[];
  serverCpu?: (number | null)[];
  /** The concurrency run of each mode (keyword, hybrid). */
  loads: Partial<Record<string, LoadFigures>>;
}
const columns: Column[] = [];

let admin: pg.Client | undefined;
try {
  if (values.database === undefined) throwaway = await startPostgresServer();
  const connectionString = values.database ?? throwaway!.connectionString;
  admin = new pg.Client({ connectionString });
  await admin.connect();
  const version = await admin.query<{ server_version: string }>(`SHOW server_version`);
  console.log(
    `Nellie PostgreSQL benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, PostgreSQL ${version.rows[0]?.server_version ?? '?'} (${values.database === undefined ? 'throwaway cluster' : 'given server'}), ${new Date().toISOString()}`,
  );
  for (const size of sizes) {
    console.log(`\n== ${size.toLocaleString('en')} chunks (load average before: ${loadavg()})`);
    const sqlite = values['postgres-only']
      ? null
      : ensureSqliteStore(size, {
          cacheDir: values['cache-dir'],
          rebuild: values.rebuild,
          log: (message) => console.log(`SQLite: ${message}`),
        });
    const sqliteQueries =
      sqlite === null
        ? null
        : querySqliteStore(size, sqlite.directory, {
            keywordOnly,
            queries: Number(values.queries),
          });
    if (sqlite !== null && sqliteQueries !== null) {
      columns.push({
        heading: `SQLite ${size.toLocaleString('en')}`,
        insert:
          sqlite.built.insertSeconds > 0
            ? `${sqlite.built.chunksPerSecond.toFixed(0)} chunks/s`
            : '—',
        results: sqliteQueries.results,
        loads: {},
      });
    }

    const schema = `nellie_bench_${size}_${dataVersion().replace(/-/g, '_')}${keywordOnly ? '_kw' : ''}`;
    if (values.rebuild) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    const built = runBenchScript(join(here, 'build.ts'), [
      String(size),
      connectionString,
      schema,
      '--writers',
      values.writers,
      ...(keywordOnly ? ['--keyword-only'] : []),
    ]) as { chunksPerSecond: number | null; databaseBytes: number; otherCores: number };
    console.log(
      `PostgreSQL: ${built.chunksPerSecond === null ? 'schema reused' : `${built.chunksPerSecond.toFixed(0)} chunks/s`} (writeFile + putEmbeddings, ${values.writers} files at a time); schema ${(built.databaseBytes / 1024 / 1024).toFixed(0)} MiB; other processes used ${built.otherCores.toFixed(2)} cores`,
    );
    const queried = runBenchScript(join(here, 'query.ts'), [
      String(size),
      connectionString,
      schema,
      ...(sqlite === null ? [] : ['--truth', sqlite.directory]),
      ...(vectorIndexDir === undefined ? [] : ['--vector-index-dir', vectorIndexDir]),
      '--queries',
      values.queries,
      ...(keywordOnly ? ['--keyword-only'] : []),
    ]) as {
      openMs: number;
      indexMs: number;
      indexRssMiB: number;
      rssBytes: number;
      status: unknown;
      results: (SearchFigures & { serverCpuMean: number | null })[];
    };
    console.log(
      `PostgreSQL open: ${ms(queried.openMs)}; vector index ${JSON.stringify(queried.status)} ready after ${ms(queried.indexMs)}, +${queried.indexRssMiB.toFixed(0)} MiB resident (process ${(queried.rssBytes / 1024 / 1024).toFixed(0)} MiB after the queries)`,
    );
    console.log(`load average after the queries: ${loadavg()}`);
    for (const [name, results] of [
      ['SQLite', sqliteQueries?.results ?? []],
      ['PostgreSQL', queried.results],
    ] as const) {
      for (const result of results) {
        const recall =
          result.recallAt10 === undefined ? '' : `  recall@10 ${result.recallAt10.toFixed(3)}`;
        const server =
          'serverCpuMean' in result ? `, server CPU mean ${ms(result.serverCpuMean)}` : '';
        console.log(
          `${name.padEnd(11)}${result.label.padEnd(28)} p50 ${ms(result.p50)}  p95 ${ms(result.p95)}  (CPU p50 ${ms(result.cpuP50)}, p95 ${ms(result.cpuP95)}${server})${recall}`,
        );
      }
    }
    const column: Column = {
      heading: `PostgreSQL ${size.toLocaleString('en')}`,
      insert: built.chunksPerSecond === null ? '—' : `${built.chunksPerSecond.toFixed(0)} chunks/s`,
      results: queried.results,
      serverCpu: queried.results.map((result) => result.serverCpuMean),
      loads: {},
    };
    for (const mode of servers > 0 ? loadModes : []) {
      try {
        const load = await runServersUnderLoad({
          cliPath,
          connectionString,
          schema,
          modelDir: mode === 'hybrid' ? modelDir : null,
          vectorIndexDir: mode === 'hybrid' ? vectorIndexDir : undefined,
          servers,
          clients: Number(values.clients),
          requestsPerClient: Number(values.requests),
          texts: querySet().texts,
          admin,
        });
        console.log(
          `${servers} servers, ${load.clients} clients, ${mode}: ${load.requests} code searches (answers ranked ${JSON.stringify(load.modes)}), p50 ${ms(load.p50)}, p95 ${ms(load.p95)}, max ${ms(load.max)}, ${load.requestsPerSecond.toFixed(1)} requests/s, ${load.errors} errors, CPU ${ms(load.cpuPerRequest)} per request (servers and backends); load average after: ${loadavg()}`,
        );
        column.loads[mode] = load;
      } catch (error) {
        // The figures so far stay; the table shows the concurrency run as missing.
        console.error(`The concurrency run (${mode}) failed: ${String(error)}`);
      }
    }
    columns.push(column);
    console.log(`load average after: ${loadavg()}`);
  }
} finally {
  await admin?.end();
  await stopThrowaway();
}

// One table: SQLite and PostgreSQL side by side for every size.
const find = (column: Column, label: string): SearchFigures | undefined =>
  column.results.find((result) => result.label === label);
const rows: [string, (column: Column) => string][] = [
  ['insert', (column) => column.insert],
  ['keyword p50 / p95', (column) => pair(find(column, 'keyword'))],
  ['hybrid p50 / p95', (column) => pair(find(column, 'hybrid'))],
  [
    'filtered p95 (hybrid, one repository)',
    (column) => ms(find(column, 'hybrid, one repository')?.p95),
  ],
  [
    'filtered p95 (hybrid, one language)',
    (column) => ms(find(column, 'hybrid, one language')?.p95),
  ],
  ['CPU per keyword query p50 (this process)', (column) => ms(find(column, 'keyword')?.cpuP50)],
  ['CPU per hybrid query p50 (this process)', (column) => ms(find(column, 'hybrid')?.cpuP50)],
  [
    'CPU per hybrid query, PostgreSQL backends (mean)',
    (column) => {
      const index = column.results.findIndex((result) => result.label === 'hybrid');
      return column.serverCpu ? ms(column.serverCpu[index]) : '—';
    },
  ],
  ...loadModes.flatMap((mode): [string, (column: Column) => string][] => [
    [
      `${servers} servers × ${values.clients} clients, ${mode}: p50 / p95`,
      (column) => {
        const load = column.loads[mode];
        return load ? `${ms(load.p50)} / ${ms(load.p95)}` : '—';
      },
    ],
    [
      `${servers} servers × ${values.clients} clients, ${mode}: requests/s`,
      (column) => column.loads[mode]?.requestsPerSecond.toFixed(1) ?? '—',
    ],
  ]),
];
const width = Math.max(...rows.map(([label]) => label.length));
const cellWidth = Math.max(20, ...columns.map((column) => column.heading.length));
console.log(
  `\n${''.padEnd(width)}  ${columns.map((column) => column.heading.padStart(cellWidth)).join('  ')}`,
);
for (const [label, cell] of rows) {
  console.log(
    `${label.padEnd(width)}  ${columns.map((column) => cell(column).padStart(cellWidth)).join('  ')}`,
  );
}
console.log(`load average at the end: ${loadavg()}`);
