import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import type { Queryable } from '../src/internal/database.ts';
import { textConfig } from '../src/internal/schema.ts';
import { TermDocuments } from '../src/internal/term-documents.ts';
import { fileInfo } from './file-info.ts';
import { freshSchema } from './pglite-server.ts';

const connectionString = inject('postgresWithoutPgvector');

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

describe('word counts read from term_documents', () => {
  const schema = freshSchema();
  const client = new pg.Client({ connectionString });
  let terms: TermDocuments;
  let repositoryId: number;

  beforeAll(async () => {
    await using store = await createPostgresStore({ connectionString, schema });
    const repository = await store.upsertRepository({ rootPath: '/work/projects/shop' });
    repositoryId = repository.id;
    await store.writeFile(repository.id, fileInfo('src/cart.ts'), [
      { startLine: 1, endLine: 1, symbolName: null, content: 'filename filepath' },
      { startLine: 2, endLine: 2, symbolName: null, content: 'filename modules' },
    ]);
    await client.connect();
    terms = new TermDocuments({ s: `"${schema}"`, config: textConfig(schema) });
  });

  afterAll(async () => {
    await client.end();
  });

  it('sums the chunks of every word starting with a prefix', async () => {
    const counts = await terms.prefixCounts(client, ['file', 'modul', 'zzz'], {
      repositoryIds: null,
      language: null,
    });
    // A plain client returns bigint counts as text; the store's pool parses them.
    expect(Object.fromEntries([...counts].map(([word, n]) => [word, Number(n)]))).toEqual({
      file: 3,
      modul: 1,
      zzz: 0,
    });
  });

  it('finds a prefix through the index on token, not by joining it after a scan', async () => {
    // A large store's word list (2.4M rows at 100k chunks), made up: with the lexeme worked out
    // inside the lateral subquery, the planner joined it after a sequential scan of every word.
    await client.query(
      `INSERT INTO "${schema}".term_documents (token, repository_id, language, documents)
       SELECT 'word' || n, $1, 'typescript', 1 FROM generate_series(1, 200000) AS n`,
      [repositoryId],
    );
    await client.query(`ANALYZE "${schema}".term_documents`);
    const statements: { text: string; values?: readonly unknown[] }[] = [];
    const recorder: Queryable = {
      query: (text, values) => {
        statements.push({ text, values });
        return Promise.resolve({ rows: [], rowCount: 0 });
      },
    };
    await terms.prefixCounts(recorder, ['file'], { repositoryIds: null, language: null });
    const [statement] = statements;
    const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `EXPLAIN (FORMAT JSON) ${statement!.text}`,
      statement!.values as unknown[],
    );
    const nodes = planNodes(rows[0]!['QUERY PLAN'][0].Plan);
    const scans = nodes.filter((node) => node['Relation Name'] === 'term_documents');
    expect(scans.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(nodes.some((node) => node['Index Cond']?.includes('token >='))).toBe(true);
  });
});
