import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSampleRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  removeTempDirs,
  runCli,
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

// REST, MCP and `nellie search --json` speak one search vocabulary: the same request fields give
// answers with the same field names, and a filter matching nothing is the same error everywhere.

type Json = Record<string, unknown>;

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Json;
}

/** Every key path of a value, with array items merged: the shape of an answer without its values. */
function shape(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value))
    return [...new Set(value.flatMap((item) => shape(item, `${prefix}[]`)))];
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value as Json)
    .flatMap(([key, item]) => [`${prefix}.${key}`, ...shape(item, `${prefix}.${key}`)])
    .sort();
}

describe('one search vocabulary across REST, MCP and the CLI', () => {
  let server: RunningServer;
  let api: string;
  let repo: string;
  let client: Client;

  const rest = async (body: Json) => fetchJson(`${api}/search/code`, jsonRequest('POST', body));
  const mcp = async (args: Json) =>
    (await client.callTool({ name: 'search_code', arguments: args })) as ToolResult;
  const cli = async (args: readonly string[]) =>
    runCli(['search', ...args, '--data-dir', server.dataDir, '--json']);

  beforeAll(async () => {
    server = await startServer({});
    api = `${server.url}/api/v1`;
    repo = createSampleRepo();
    const started = await fetchJson(`${api}/index/jobs`, jsonRequest('POST', { path: repo }));
    const jobId = (started.body as { id: string }).id;
    await waitFor(
      async () => {
        const job = (await fetchJson(`${api}/index/jobs/${jobId}`)).body as { state: string };
        return job.state === 'succeeded' ? job : undefined;
      },
      { what: 'the index job' },
    );
    client = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
  });

  afterAll(async () => {
    await client?.close();
    if (server) expect(await server.stop()).toBe(0);
    await killAllServers();
    removeTempDirs();
  });

  it('answers the same search with the same field names, grouped by chunk or by file', async () => {
    const name = path.basename(repo);
    for (const groupBy of ['chunk', 'file']) {
      const request = { query: 'addNumbers', repository: name, limit: 5, groupBy };
      const [fromRest, fromMcp, fromCli] = await Promise.all([
        rest(request),
        mcp({ ...request, includeContent: true }),
        cli(['addNumbers', '--repository', name, '--limit', '5', '--group-by', groupBy]),
      ]);
      expect(fromRest.status).toBe(200);
      expect(fromMcp.isError ?? false).toBe(false);
      expect(fromCli.code, fromCli.stderr).toBe(0);
      const answers = [
        fromRest.body as Json,
        fromMcp.structuredContent!,
        JSON.parse(fromCli.stdout) as Json,
      ];
      for (const answer of answers) {
        expect(answer).toMatchObject({ query: 'addNumbers', mode: 'keyword', groupBy });
        expect((answer.hits as unknown[]).length).toBeGreaterThan(0);
        expect(answer.notice).toEqual(expect.stringContaining('Keyword results only'));
      }
      const [restShape, mcpShape, cliShape] = answers.map((answer) => shape(answer));
      expect(mcpShape).toEqual(restShape);
      expect(cliShape).toEqual(restShape);
      expect(restShape).toContain(groupBy === 'file' ? '.hits[].chunks[].path' : '.hits[].path');
    }
  });

  it('refuses an unknown repository, language or glob in every interface, naming what exists', async () => {
    const name = path.basename(repo);
    const cases = [
      { rest: { repository: 'nope' }, cli: ['--repo', 'nope'], says: `repositories: ${name}` },
      { rest: { language: 'cobol' }, cli: ['--language', 'cobol'], says: 'Languages indexed: ' },
      { rest: { pathGlob: 'nowhere/**' }, cli: ['--path', 'nowhere/**'], says: 'No indexed path' },
    ];
    for (const filter of cases) {
      const [fromRest, fromMcp, fromCli] = await Promise.all([
        rest({ query: 'addNumbers', ...filter.rest }),
        mcp({ query: 'addNumbers', ...filter.rest }),
        cli(['addNumbers', ...filter.cli]),
      ]);
      const error = { code: 'NOT_FOUND', message: expect.stringContaining(filter.says) as string };
      expect(fromRest.status).toBe(404);
      expect(fromRest.body).toEqual({ error });
      expect(fromMcp.isError).toBe(true);
      expect(fromMcp.structuredContent).toEqual({ error });
      expect(fromCli.code).toBe(2);
      expect(JSON.parse(fromCli.stdout)).toEqual({ error });
    }
  });

  it('still accepts the 0.1 spellings: MCP repo and path_glob, CLI --repo, REST mode lexical', async () => {
    const name = path.basename(repo);
    const [current, deprecated, cliCurrent, cliDeprecated] = await Promise.all([
      mcp({ query: 'addNumbers', repository: name, pathGlob: 'src/**' }),
      mcp({ query: 'addNumbers', repo: name, path_glob: 'src/**' }),
      cli(['addNumbers', '--repository', name]),
      cli(['addNumbers', '--repo', name]),
    ]);
    expect(deprecated.structuredContent).toEqual(current.structuredContent);
    expect(cliDeprecated.code, cliDeprecated.stderr).toBe(0);
    expect(JSON.parse(cliDeprecated.stdout)).toEqual(JSON.parse(cliCurrent.stdout));
    const conflicting = await cli(['addNumbers', '--repository', name, '--repo', 'other']);
    expect(conflicting.code).toBe(2);
    const lexical = await rest({ query: 'addNumbers', mode: 'lexical' });
    expect(lexical.status).toBe(200);
    expect(lexical.body).toMatchObject({ mode: 'keyword' });
    expect(lexical.body).not.toHaveProperty('notice');
  });
});
