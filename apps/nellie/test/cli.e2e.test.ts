import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appDir,
  cleanEnv,
  createSampleRepo,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  runCli,
  startServer,
} from './helpers.ts';

const version = (
  JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

interface IndexOutput {
  job: {
    state: string;
    repository: string;
    progress: {
      filesSeen: number;
      filesIndexed: number;
      filesUnchanged: number;
      chunksWritten: number;
      excludedBy: Record<string, number>;
    };
  };
  embeddings: { semanticSearch: string; chunksWithVectors: number };
  store: { repositories: number; files: number; chunks: number };
}

interface SearchOutput {
  query: string;
  mode: string;
  notice?: string;
  groupBy: string;
  hits: {
    path: string;
    language: string | null;
    startLine: number;
    endLine: number;
    repository: string;
  }[];
}

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

describe('nellie --version and --help', () => {
  it('prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('prints help for the program and every command', async () => {
    const root = await runCli(['--help']);
    expect(root.code, root.stderr).toBe(0);
    for (const command of [
      'serve',
      'index',
      'search',
      'status',
      'backup',
      'restore',
      'maintenance',
      'config',
      'model',
      'mcp',
    ]) {
      expect(root.stdout).toContain(command);
    }
    const commands = [
      ['serve'],
      ['index'],
      ['search'],
      ['status'],
      ['backup'],
      ['restore'],
      ['maintenance'],
      ['config', 'check'],
      ['model', 'pull'],
      ['model', 'verify'],
      ['model', 'import'],
      ['model', 'reset-vectors'],
      ['mcp'],
    ];
    const results = await Promise.all(commands.map((command) => runCli([...command, '--help'])));
    results.forEach((result, index) => {
      const command = commands[index]!;
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout).toContain(`Usage: nellie ${command.join(' ')}`);
    });
    expect(results[0]!.stdout).toContain('--port <port>');
    expect(results[0]!.stdout).toContain('NELLIE_PORT');
  });
});

describe('usage errors exit with code 2', () => {
  it('rejects unknown flags, unknown commands and missing arguments', async () => {
    const [unknownFlag, unknownCommand, missing, badLimit, nothing] = await Promise.all([
      runCli(['serve', '--prot', '80']),
      runCli(['frobnicate']),
      runCli(['search']),
      runCli(['search', 'x', '--limit', 'many']),
      runCli([]),
    ]);
    expect(unknownFlag.code, unknownFlag.stderr).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown option '--prot'");
    expect(unknownFlag.stderr).toContain('--port');
    expect(unknownCommand.code, unknownCommand.stderr).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'query'");
    expect(badLimit.code, badLimit.stderr).toBe(2);
    expect(badLimit.stderr).toContain('Expected a positive integer');
    expect(nothing.code, nothing.stderr).toBe(2);
    expect(nothing.stderr).toContain('Usage: nellie');
    for (const result of [unknownFlag, unknownCommand, missing, badLimit]) {
      expect(result.stdout).toBe('');
    }
  });

  it('names the setting, its source and what is allowed for bad configuration', async () => {
    const dataDir = makeTempDir();
    const brokenFile = path.join(dataDir, 'broken.json');
    writeFileSync(brokenFile, '{ "port": 8080, ');
    const unknownFile = path.join(dataDir, 'unknown.json');
    writeFileSync(unknownFile, JSON.stringify({ prot: 8080, logLevel: 'chatty' }));
    const [badEnv, missingFile, brokenJson, unknownKey, openHost, missingWatch, badFlag] =
      await Promise.all([
        runCli(['serve', '--data-dir', dataDir], { env: cleanEnv({ NELLIE_PORT: 'eighty' }) }),
        runCli(['serve', '--data-dir', dataDir, '--config', path.join(dataDir, 'nope.json')]),
        runCli(['status', '--data-dir', dataDir], { env: cleanEnv({ NELLIE_CONFIG: brokenFile }) }),
        runCli(['config', 'check', '--config', unknownFile]),
        runCli(['serve', '--data-dir', dataDir, '--host', '0.0.0.0', '--port', '0']),
        runCli([
          'serve',
          '--data-dir',
          dataDir,
          '--port',
          '0',
          '--watch',
          path.join(dataDir, 'missing'),
        ]),
        runCli(['index', dataDir, '--data-dir', dataDir, '--embedding-threads', '0']),
      ]);
    expect(badEnv.code, badEnv.stderr).toBe(2);
    expect(badEnv.stderr).toContain('Invalid port "eighty" from environment variable NELLIE_PORT');
    expect(badEnv.stderr).toContain('an integer from 0 to 65535');
    expect(missingFile.code, missingFile.stderr).toBe(2);
    expect(missingFile.stderr).toContain('nope.json (from flag --config) does not exist');
    expect(brokenJson.code, brokenJson.stderr).toBe(2);
    expect(brokenJson.stderr).toContain(`Config file ${brokenFile} is not valid JSON`);
    expect(unknownKey.code, unknownKey.stderr).toBe(2);
    expect(unknownKey.stderr).toContain('Unknown setting "prot"');
    expect(unknownKey.stderr).toContain('did you mean "port"?');
    expect(unknownKey.stderr).toContain(
      `Invalid logLevel "chatty" from config file ${unknownFile}`,
    );
    expect(openHost.code, openHost.stderr).toBe(2);
    expect(openHost.stderr).toContain('0.0.0.0 (from flag --host) with no API key');
    expect(missingWatch.code, missingWatch.stderr).toBe(2);
    expect(missingWatch.stderr).toContain('from flag --watch');
    expect(badFlag.code, badFlag.stderr).toBe(2);
    expect(badFlag.stderr).toContain('Invalid embeddingThreads 0 from flag --embedding-threads');
    // Nothing was created for a configuration that never validated.
    expect(existsSync(path.join(dataDir, 'nellie.db'))).toBe(false);
  });

  it('refuses a data directory without a database for commands that only read', async () => {
    const mistyped = path.join(makeTempDir(), 'nelie-data');
    const results = await Promise.all(
      [
        ['status'],
        ['search', 'parse the config'],
        ['maintenance'],
        ['backup', path.join(makeTempDir(), 'copy.db')],
      ].map((command) => runCli([...command, '--data-dir', mistyped])),
    );
    for (const result of results) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`No Nellie database in ${mistyped}`);
      expect(result.stderr).toContain('--data-dir');
    }
    // The mistake created nothing.
    expect(existsSync(mistyped)).toBe(false);

    // A data directory that exists but holds no database yet reads as empty, and stays so.
    const fresh = makeTempDir();
    const status = await runCli(['status', '--data-dir', fresh, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ database: null, files: 0, chunks: 0 });
    expect(existsSync(path.join(fresh, 'nellie.db'))).toBe(false);
  });
});

describe('nellie config check', () => {
  it('prints effective values with their sources and redacts secrets', async () => {
    const dataDir = makeTempDir();
    const secret = 'super-secret-key-0123456789';
    writeFileSync(
      path.join(dataDir, 'config.json'),
      JSON.stringify({ port: 9001, watch: ['repo'], rateLimit: 50 }),
    );
    const env = cleanEnv({ NELLIE_LOG_LEVEL: 'debug', NELLIE_API_KEY: `ops:${secret}` });
    const result = await runCli(
      ['config', 'check', '--data-dir', dataDir, '--host', '::1', '--json'],
      {
        env,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain(secret);
    const report = json<{
      valid: boolean;
      configFile: string;
      settings: Record<string, { value: unknown; source: string; from: string }>;
    }>(result.stdout);
    expect(report.valid).toBe(true);
    expect(report.configFile).toBe(path.join(dataDir, 'config.json'));
    expect(report.settings.port).toEqual({ value: 9001, source: 'file', from: report.configFile });
    expect(report.settings.watch!.value).toEqual([path.join(dataDir, 'repo')]);
    expect(report.settings.logLevel).toEqual({
      value: 'debug',
      source: 'env',
      from: 'NELLIE_LOG_LEVEL',
    });
    expect(report.settings.host).toEqual({ value: '::1', source: 'flag', from: '--host' });
    expect(report.settings.dataDir!.source).toBe('flag');
    expect(report.settings.model).toEqual({
      value: 'Xenova/all-MiniLM-L6-v2',
      source: 'default',
      from: '',
    });
    expect(report.settings.apiKeys).toEqual({
      value: [{ id: 'ops', key: '(redacted)' }],
      source: 'env',
      from: 'NELLIE_API_KEY',
    });

    const text = await runCli(['config', 'check', '--data-dir', dataDir], { env });
    expect(text.code, text.stderr).toBe(0);

    expect(text.stdout).toContain('Configuration is valid');
    expect(text.stdout).toMatch(/port\s+9001\s+file /);
    expect(text.stdout).toMatch(/logLevel\s+debug\s+env NELLIE_LOG_LEVEL/);
    expect(text.stdout).toContain('ops:(redacted)');
    expect(text.stdout).not.toContain(secret);
  });
});

describe('nellie index, search and status (no model)', () => {
  it('indexes a repository, searches it with filters and reports counts', async () => {
    const dataDir = makeTempDir();
    const repo = createSampleRepo();
    mkdirSync(path.join(repo, 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(path.join(repo, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
    const indexed = await runCli(['index', repo, '--data-dir', dataDir, '--json']);
    expect(indexed.stderr).toBe('');
    expect(indexed.code, indexed.stderr).toBe(0);
    const output = json<IndexOutput>(indexed.stdout);
    expect(output.job.state).toBe('succeeded');
    expect(output.job.repository).toBe(path.basename(repo));
    expect(output.job.progress.filesIndexed).toBeGreaterThanOrEqual(4);
    expect(output.job.progress.chunksWritten).toBeGreaterThanOrEqual(4);
    // node_modules/ is passed over by a built-in pattern, and said so.
    expect(output.job.progress.excludedBy).toEqual({ 'node_modules/': 1 });
    expect(output.embeddings.semanticSearch).toBe('off');
    expect(output.store.repositories).toBe(1);

    const [search, python, scoped, limited, unknownRepo, ignored, text] = await Promise.all([
      runCli(['search', 'addNumbers', '--data-dir', dataDir, '--json']),
      runCli(['search', 'parse config', '--data-dir', dataDir, '--json', '--language', 'python']),
      runCli(['search', 'user', '--data-dir', dataDir, '--json', '--path', 'src/**']),
      runCli(['search', 'numbers', '--data-dir', dataDir, '--json', '--limit', '1']),
      runCli(['search', 'addNumbers', '--data-dir', dataDir, '--json', '--repo', 'elsewhere']),
      runCli(['search', 'ignoredBuildOutput', '--data-dir', dataDir, '--json']),
      runCli(['search', 'factorial', '--data-dir', dataDir]),
    ]);
    const hits = json<SearchOutput>(search.stdout);
    expect(hits.mode).toBe('keyword');
    expect(hits.notice).toContain('semantic search is off');
    expect(hits.groupBy).toBe('chunk');
    expect(hits.hits.map((hit) => hit.path)).toContain('src/math.ts');
    const pythonHits = json<SearchOutput>(python.stdout).hits;
    expect(pythonHits.length).toBeGreaterThan(0);
    expect(pythonHits.every((hit) => hit.language === 'python')).toBe(true);
    const scopedHits = json<SearchOutput>(scoped.stdout).hits;
    expect(scopedHits.length).toBeGreaterThan(0);
    expect(scopedHits.every((hit) => hit.path.startsWith('src/'))).toBe(true);
    expect(json<SearchOutput>(limited.stdout).hits).toHaveLength(1);
    // A filter that matches nothing is a usage error naming what exists, not an empty answer.
    expect(unknownRepo.code).toBe(2);
    expect(json<{ error: { code: string; message: string } }>(unknownRepo.stdout).error).toEqual({
      code: 'NOT_FOUND',
      message: `No repository is named or rooted at "elsewhere". Indexed repositories: ${path.basename(repo)}.`,
    });
    // Files under .gitignore'd build/ are not indexed.
    expect(
      json<SearchOutput>(ignored.stdout).hits.filter((hit) => hit.path.startsWith('build/')),
    ).toEqual([]);
    expect(text.code, text.stderr).toBe(0);

    const [byFile, unknownLanguage] = await Promise.all([
      runCli(['search', 'user', '--data-dir', dataDir, '--json', '--group-by', 'file']),
      runCli(['search', 'user', '--data-dir', dataDir, '--language', 'cobol']),
    ]);
    const files = json<{ groupBy: string; hits: { path: string; chunks: unknown[] }[] }>(
      byFile.stdout,
    );
    expect(files.groupBy).toBe('file');
    expect(new Set(files.hits.map((file) => file.path)).size).toBe(files.hits.length);
    expect(files.hits.every((file) => file.chunks.length >= 1)).toBe(true);
    expect(unknownLanguage.code).toBe(2);
    expect(unknownLanguage.stderr).toContain('No indexed file has the language "cobol"');
    expect(unknownLanguage.stderr).toContain('Languages indexed:');
    expect(text.stdout).toMatch(/1\. .*:src\/math\.ts:\d+-\d+/);
    expect(text.stdout).toContain('factorial');

    const status = await runCli(['status', '--data-dir', dataDir, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const counts = json<Record<string, unknown>>(status.stdout);
    expect(counts).toMatchObject({
      version,
      repositories: 1,
      files: output.store.files,
      chunks: output.store.chunks,
      chunksWithVectors: 0,
      lessons: 0,
      checkpoints: 0,
      semanticSearch: 'off',
    });
    expect(counts.chunksPendingEmbedding).toEqual(expect.any(Number));
    expect((counts.model as { available: boolean }).available).toBe(false);

    // A second run finds nothing changed.
    const again = json<IndexOutput>(
      (await runCli(['index', repo, '--data-dir', dataDir, '--json'])).stdout,
    );
    expect(again.job.progress.filesIndexed).toBe(0);
    expect(again.job.progress.filesUnchanged).toBe(output.job.progress.filesIndexed);

    const human = await runCli(['index', repo, '--data-dir', dataDir]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Indexed ${path.basename(repo)}`);
    expect(human.stdout).toContain('excluded by default: 1 path (node_modules/ 1)');
    expect(human.stdout).toContain('semantic search is off');
  });

  it('explains a directory that cannot be indexed and an empty query', async () => {
    const dataDir = makeTempDir();
    const missing = path.join(dataDir, 'no-such-repo');
    const [index, search] = await Promise.all([
      runCli(['index', missing, '--data-dir', dataDir]),
      runCli(['search', '  ', '--data-dir', dataDir]),
    ]);
    expect(index.code, index.stderr).toBe(2);
    expect(index.stderr).toContain(`${missing} is not a readable directory`);
    expect(search.code, search.stderr).toBe(2);
    expect(search.stderr).toContain('The search query is empty');
  });
});

describe('nellie backup, restore and maintenance', () => {
  it('restores a verified backup and keeps the previous database', async () => {
    const dataDir = makeTempDir();
    const backupDir = makeTempDir();
    const first = createSampleRepo();
    expect((await runCli(['index', first, '--data-dir', dataDir])).code).toBe(0);

    const backupFile = path.join(backupDir, 'nellie-backup.db');
    const backup = await runCli(['backup', backupFile, '--data-dir', dataDir, '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    expect(json<{ bytes: number }>(backup.stdout).bytes).toBeGreaterThan(0);
    const again = await runCli(['backup', backupFile, '--data-dir', dataDir]);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toContain('already exists');

    // Change the database after the backup, then restore.
    expect((await runCli(['index', createSampleRepo(), '--data-dir', dataDir])).code).toBe(0);
    const before = json<{ repositories: number }>(
      (await runCli(['status', '--data-dir', dataDir, '--json'])).stdout,
    );
    expect(before.repositories).toBe(2);

    const corrupt = path.join(backupDir, 'corrupt.db');
    writeFileSync(corrupt, Buffer.alloc(8192, 7));
    const refused = await runCli(['restore', corrupt, '--data-dir', dataDir]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`${corrupt} cannot be restored`);
    expect(refused.stderr).toContain('The current database was not changed');
    expect(
      json<{ repositories: number }>(
        (await runCli(['status', '--data-dir', dataDir, '--json'])).stdout,
      ).repositories,
    ).toBe(2);

    const restored = await runCli(['restore', backupFile, '--data-dir', dataDir, '--json']);
    expect(restored.stderr).toBe('');
    expect(restored.code, restored.stderr).toBe(0);
    const result = json<{ previousDatabase: string; repositories: number }>(restored.stdout);
    expect(result.repositories).toBe(1);
    expect(path.basename(result.previousDatabase)).toMatch(/^nellie\.db\.bak-\d{8}T\d{6}Z$/);
    expect(existsSync(result.previousDatabase)).toBe(true);
    expect(readdirSync(dataDir).some((name) => name.includes('.restore-'))).toBe(false);
    const after = json<{ repositories: number }>(
      (await runCli(['status', '--data-dir', dataDir, '--json'])).stdout,
    );
    expect(after.repositories).toBe(1);

    const maintenance = await runCli(['maintenance', '--data-dir', dataDir, '--json']);
    expect(maintenance.code, maintenance.stderr).toBe(0);
    expect(
      json<{ integrity: { ok: boolean }; analyzed: boolean }>(maintenance.stdout),
    ).toMatchObject({
      integrity: { ok: true },
      analyzed: true,
    });
  });

  it('refuses to restore while a server uses the data directory', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir });
    const backupFile = path.join(makeTempDir(), 'live.db');
    const backup = await runCli(['backup', backupFile, '--data-dir', dataDir]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain('Backed up');
    const restore = await runCli(['restore', backupFile, '--data-dir', dataDir]);
    expect(restore.code, restore.stderr).toBe(1);
    expect(restore.stderr).toContain(
      `is in use by nellie serve (pid ${server.child.pid}, ${server.url})`,
    );
    expect(await server.stop()).toBe(0);
    const afterStop = await runCli(['restore', backupFile, '--data-dir', dataDir]);
    expect(afterStop.code, afterStop.stderr).toBe(0);
  });
});

describe('nellie model', () => {
  it('explains a missing model, offline pulls and bad imports', async () => {
    const dataDir = makeTempDir();
    const [verify, pull, importMissing, resetMissing] = await Promise.all([
      runCli(['model', 'verify', '--data-dir', dataDir]),
      runCli(['model', 'pull', '--data-dir', dataDir]),
      runCli(['model', 'import', path.join(dataDir, 'nothing'), '--data-dir', dataDir]),
      runCli(['model', 'reset-vectors', '--yes', '--data-dir', dataDir]),
    ]);
    expect(verify.code, verify.stderr).toBe(1);
    expect(verify.stderr).toContain('No embedding model Xenova/all-MiniLM-L6-v2');
    expect(verify.stderr).toContain('nellie model pull');
    expect(pull.code, pull.stderr).toBe(2);
    expect(pull.stderr).toContain('Offline mode is on (from env NELLIE_OFFLINE)');
    expect(importMissing.code, importMissing.stderr).toBe(1);
    expect(importMissing.stderr).toContain(path.join(dataDir, 'nothing'));
    expect(resetMissing.code, resetMissing.stderr).toBe(1);
    expect(resetMissing.stderr).toContain('nothing to reset');
  });
});
