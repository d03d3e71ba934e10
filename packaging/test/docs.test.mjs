// The operator docs must match the product: relative links resolve, every NELLIE_* variable is
// one Nellie or the packaging reads, and every `nellie <command> --flag` shown exists in that
// command's --help. Needs the built CLI (apps/nellie/dist/cli.js).
// Run: node --test packaging/test/docs.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repo, 'apps/nellie/dist/cli.js');

function markdownFiles(directory) {
  return readdirSync(directory).flatMap((name) => {
    const full = path.join(directory, name);
    if (statSync(full).isDirectory()) return markdownFiles(full);
    return name.endsWith('.md') ? [full] : [];
  });
}
const docs = markdownFiles(path.join(repo, 'docs')).map((file) => ({
  file,
  name: path.relative(repo, file),
  text: readFileSync(file, 'utf8'),
}));

// Variables the app reads (from its settings table) and those the packaging reads.
const configSource = readFileSync(
  path.join(repo, 'apps/nellie/src/config/setting-table.ts'),
  'utf8',
);
const appVariables = new Set([...configSource.matchAll(/'(NELLIE_[A-Z_]+)'/g)].map((m) => m[1]));
appVariables.add('NELLIE_CONFIG');
const packagingText = [
  'packaging/scripts/backup.sh',
  'packaging/scripts/restore-drill.sh',
  'packaging/scripts/nellie-launcher.sh',
  'packaging/scripts/nellie-wrapper.sh',
  'packaging/litestream/litestream.yml',
  'packaging/kubernetes/api-keys.env.example',
  'packaging/docker/docker-compose.yml',
  'packaging/test/install.test.sh',
  '.ci/packaging-checks.sh',
]
  .map((file) => readFileSync(path.join(repo, file), 'utf8'))
  .join('\n');
const packagingVariables = new Set(
  [...packagingText.matchAll(/\b(NELLIE_[A-Z_]+)\b/g)].map((m) => m[1]),
);

function help(command) {
  return execFileSync(process.execPath, [cli, ...command, '--help'], { encoding: 'utf8' });
}
const commandNames = [
  'serve',
  'index',
  'search',
  'status',
  'backup',
  'restore',
  'maintenance',
  'migrate',
  'mcp',
];
const subcommands = { config: ['check'], model: ['pull', 'verify', 'import', 'reset-vectors'] };

describe('docs', () => {
  it('finds the docs', () => {
    for (const name of ['OPERATOR_GUIDE.md', 'RUNBOOK.md', 'RELEASING.md']) {
      assert.ok(
        docs.some((doc) => doc.name === `docs/${name}`),
        `docs/${name} is missing`,
      );
    }
  });

  for (const doc of docs) {
    it(`${doc.name}: relative links resolve`, () => {
      const broken = [];
      for (const [, target] of doc.text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
        const file = target.split('#')[0];
        if (!existsSync(path.resolve(path.dirname(doc.file), file))) broken.push(target);
      }
      assert.deepEqual(broken, []);
    });

    it(`${doc.name}: NELLIE_* variables exist`, () => {
      const unknown = [
        ...new Set([...doc.text.matchAll(/\b(NELLIE_[A-Z_]+[A-Z])\b/g)].map((m) => m[1])),
      ].filter((name) => !appVariables.has(name) && !packagingVariables.has(name));
      assert.deepEqual(unknown, []);
    });
  }

  it('every `nellie <command> --flag` in the docs exists', () => {
    assert.ok(existsSync(cli), `${cli} is missing: build the app first (pnpm build)`);
    const helps = new Map();
    const helpFor = (command) => {
      const key = command.join(' ');
      if (!helps.has(key)) helps.set(key, help(command));
      return helps.get(key);
    };
    const problems = [];
    for (const doc of docs) {
      for (const line of doc.text.split('\n')) {
        for (const match of line.matchAll(
          /\bnellie ((?:[a-z-]+ ?){1,2})((?:[^`|#;&]*?))(?=`|$|\||#|;|&)/g,
        )) {
          const words = match[1].trim().split(' ');
          let command;
          if (commandNames.includes(words[0])) command = [words[0]];
          else if (subcommands[words[0]]?.includes(words[1])) command = [words[0], words[1]];
          else continue;
          const rest = `${words.slice(command.length).join(' ')} ${match[2]}`;
          for (const [flag] of rest.matchAll(/--[a-z][a-z-]*/g)) {
            if (!helpFor(command).includes(flag))
              problems.push(`${doc.name}: nellie ${command.join(' ')} ${flag}`);
          }
        }
      }
    }
    assert.deepEqual([...new Set(problems)], []);
  });
});
