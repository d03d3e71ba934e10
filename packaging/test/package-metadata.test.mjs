// Every published package carries the metadata a registry page and a consumer need, and the
// version the release tarball is named after. Run: node --test packaging/test/package-metadata.test.mjs
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const manifests = ['packages', 'apps']
  .flatMap((folder) =>
    readdirSync(path.join(repo, folder)).map((name) =>
      path.join(repo, folder, name, 'package.json'),
    ),
  )
  .filter((file) => existsSync(file))
  .map((file) => ({
    file: path.relative(repo, file),
    json: JSON.parse(readFileSync(file, 'utf8')),
  }));
const published = manifests.filter(({ json }) => json.private !== true);

describe('published packages', () => {
  it('include the server and the libraries', () => {
    const names = published.map(({ json }) => json.name);
    for (const name of ['nellie', '@nellie/core', '@nellie/storage', '@nellie/embeddings']) {
      assert.ok(names.includes(name), `${name} is not published`);
    }
  });

  for (const { file, json } of published) {
    it(`${json.name} (${file}) has complete metadata`, () => {
      assert.equal(typeof json.description, 'string', 'description');
      assert.ok(json.description.length > 20, 'description is too short');
      assert.ok(Array.isArray(json.keywords) && json.keywords.length > 0, 'keywords');
      assert.equal(json.license, 'Apache-2.0', 'license');
      assert.equal(json.repository?.type, 'git', 'repository.type');
      assert.match(
        json.repository?.url ?? '',
        /^git\+https:\/\/github\.com\/.+\.git$/,
        'repository.url',
      );
      assert.equal(json.repository?.directory, path.dirname(file), 'repository.directory');
      assert.equal(json.engines?.node, '>=20.19', 'engines.node');
      assert.ok(Array.isArray(json.files) && json.files.includes('dist'), 'files lists dist');
      assert.match(json.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'version');
      assert.equal(json.type, 'module', 'type');
      assert.equal(json.publishConfig?.access, 'public', 'publishConfig.access');
    });
  }

  it('the CLI package has the nellie bin the release launcher runs', () => {
    const app = published.find(({ json }) => json.name === 'nellie');
    assert.equal(app?.json.bin?.nellie, './dist/cli.js');
    const launcher = readFileSync(path.join(repo, 'packaging/scripts/nellie-launcher.sh'), 'utf8');
    assert.ok(launcher.includes('"$release/app/dist/cli.js"'), 'the launcher runs app/dist/cli.js');
  });
});
