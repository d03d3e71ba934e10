/**
 * Where a search kind's time goes: runs its bench queries and times every SQL statement the
 * store runs (total, calls, rows), beside the total time of the searches. Run with
 * `node --cpu-prof` as well to see the JS steps.
 * Usage: profile.ts <store dir> [--kind hybrid] [--queries N]
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../src/index.ts';
import { dimensions } from './data.ts';
import { defaultQueryCount, querySet, searchKinds } from './query-set.ts';

const directory = process.argv[2];
if (!directory) throw new Error('usage: profile.ts <store dir> [--kind LABEL] [--queries N]');
const flag = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const queryCount = Number(flag('--queries') ?? defaultQueryCount);
const label = flag('--kind') ?? 'hybrid';

interface Timing {
  ms: number;
  cpuMs: number;
  calls: number;
  rows: number;
}
const timings = new Map<string, Timing>();
let timing = false;
const statementPrototype = Object.getPrototypeOf(
  new Database(':memory:').prepare('SELECT 1'),
) as Record<string, (...args: unknown[]) => unknown> & { source: string };
for (const method of ['all', 'get', 'iterate'] as const) {
  const original = statementPrototype[method]!;
  statementPrototype[method] = function (this: { source: string }, ...args: unknown[]) {
    if (!timing) return original.apply(this, args);
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    let result = original.apply(this, args);
    // Iterators are drained here so their time counts (profiling only).
    if (method === 'iterate') result = [...(result as Iterable<unknown>)][Symbol.iterator]();
    const entry = timings.get(this.source) ?? { ms: 0, cpuMs: 0, calls: 0, rows: 0 };
    entry.ms += performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    entry.cpuMs += (cpu.user + cpu.system) / 1000;
    entry.calls += 1;
    entry.rows += Array.isArray(result) ? result.length : result === undefined ? 0 : 1;
    timings.set(this.source, entry);
    return result;
  };
}

const store = await createSqliteStore({
  path: join(directory, 'bench.db'),
  embedding: { modelId: 'bench-synthetic-384', dimensions },
});
await store.vectorIndexStatus();
const kind = searchKinds(querySet(queryCount), { keywordOnly: false }).find(
  (candidate) => candidate.label === label,
);
if (!kind) throw new Error(`no search kind "${label}"`);
for (let query = 0; query < Math.min(20, queryCount); query += 1) {
  await store.searchCode(kind.request(query));
}
timing = true;
const cpuStarted = process.cpuUsage();
const started = performance.now();
for (let query = 0; query < queryCount; query += 1) await store.searchCode(kind.request(query));
const totalMs = performance.now() - started;
const cpu = process.cpuUsage(cpuStarted);
timing = false;
await store.close();

const perQuery = (ms: number): string => (ms / queryCount).toFixed(2);
console.log(
  `${label}: ${queryCount} queries, ${perQuery(totalMs)} ms wall and ${perQuery((cpu.user + cpu.system) / 1000)} ms CPU per query`,
);
let sqlMs = 0;
let sqlCpuMs = 0;
for (const [sql, entry] of [...timings].sort((a, b) => b[1].ms - a[1].ms)) {
  sqlMs += entry.ms;
  sqlCpuMs += entry.cpuMs;
  console.log(
    `${perQuery(entry.ms).padStart(7)} ms/q (CPU ${perQuery(entry.cpuMs).padStart(6)}) ${String(entry.calls).padStart(6)} calls ${String(entry.rows).padStart(8)} rows  ${sql.replace(/\s+/g, ' ').slice(0, 160)}`,
  );
}
const totalCpuMs = (cpu.user + cpu.system) / 1000;
console.log(
  `SQL total ${perQuery(sqlMs)} ms/q (CPU ${perQuery(sqlCpuMs)}); the rest (JS) ${perQuery(totalMs - sqlMs)} ms/q (CPU ${perQuery(totalCpuMs - sqlCpuMs)})`,
);
