// Every metric name used by the alert rules, the Grafana dashboard and the docs must be one the
// server really exports (packages/http-api/src/metrics.ts and prom-client's default metrics) or
// one nellie-backup writes. Run: node --test packaging/test/metrics.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file) => readFileSync(path.join(repo, file), 'utf8');

const metricsSource = read('packages/http-api/src/metrics.ts');
const exported = new Set(
  [...metricsSource.matchAll(/name: '(nellie_[a-z0-9_]+)'|'(nellie_[a-z0-9_]+)',/g)].map(
    (match) => match[1] ?? match[2],
  ),
);

// prom-client's default metrics, read from the installed prom-client's source.
const requireFromHttpApi = createRequire(path.join(repo, 'packages/http-api/package.json'));
const promClientDir = path.dirname(requireFromHttpApi.resolve('prom-client/package.json'));
const defaultMetrics = new Set();
for (const file of readdirSync(path.join(promClientDir, 'lib/metrics'))) {
  if (!file.endsWith('.js')) continue;
  const text = readFileSync(path.join(promClientDir, 'lib/metrics', file), 'utf8');
  for (const match of text.matchAll(/'((?:process|nodejs)_[a-z0-9_]+)'/g))
    defaultMetrics.add(match[1]);
}

const backupMetrics = new Set(
  [...read('packaging/scripts/backup.sh').matchAll(/(nellie_backup_[a-z_]+) /g)].map((m) => m[1]),
);

const histogramSuffix = /_(bucket|sum|count)$/;
function isKnown(name) {
  if (exported.has(name) || defaultMetrics.has(name) || backupMetrics.has(name)) return true;
  const base = name.replace(histogramSuffix, '');
  return base !== name && (exported.has(base) || defaultMetrics.has(base));
}

function namesIn(text) {
  return new Set(
    [...text.matchAll(/\b((?:nellie|process|nodejs)_[a-z0-9_]*[a-z0-9])\b/g)].map((m) => m[1]),
  );
}

const dashboard = JSON.parse(read('packaging/monitoring/grafana/dashboards/nellie.json'));
const dashboardExpressions = [];
(function collect(panels) {
  for (const panel of panels ?? []) {
    for (const target of panel.targets ?? []) dashboardExpressions.push(target.expr);
    collect(panel.panels);
  }
})(dashboard.panels);

describe('metric names', () => {
  it('finds the exported metrics in the http-api source', () => {
    for (const name of [
      'nellie_request_duration_seconds',
      'nellie_requests_total',
      'nellie_index_lag_seconds',
      'nellie_embedding_backlog',
      'nellie_rate_limited_total',
    ]) {
      assert.ok(exported.has(name), `${name} is not exported any more`);
    }
    assert.ok(defaultMetrics.has('process_resident_memory_bytes'));
    assert.ok(backupMetrics.has('nellie_backup_last_success_timestamp_seconds'));
  });

  const sources = {
    'packaging/monitoring/prometheus-rules.yml': read('packaging/monitoring/prometheus-rules.yml'),
    'packaging/monitoring/grafana/dashboards/nellie.json': dashboardExpressions.join('\n'),
  };
  for (const doc of ['docs/OPERATOR_GUIDE.md', 'docs/RUNBOOK.md', 'docs/README-sections.md']) {
    if (existsSync(path.join(repo, doc))) sources[doc] = read(doc);
  }
  for (const [file, text] of Object.entries(sources)) {
    it(`${file} uses only metrics the server exports`, () => {
      const unknown = [...namesIn(text)].filter((name) => !isKnown(name));
      assert.deepEqual(unknown, [], `unknown metric names in ${file}`);
    });
  }
});

describe('grafana dashboard', () => {
  it('has a stable uid, unique panel ids and a query in every panel', () => {
    assert.equal(dashboard.uid, 'nellie-overview');
    const ids = [];
    (function walk(panels) {
      for (const panel of panels ?? []) {
        ids.push(panel.id);
        if (panel.type !== 'row')
          assert.ok(panel.targets?.length > 0, `panel ${panel.title} has no query`);
        walk(panel.panels);
      }
    })(dashboard.panels);
    assert.equal(new Set(ids).size, ids.length, 'panel ids repeat');
  });

  it('has PromQL that Prometheus parses', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'nellie-dashboard-'));
    try {
      const rules = dashboardExpressions.map((expr, index) => {
        const concrete = expr
          .replaceAll('$__rate_interval', '5m')
          .replaceAll('$job', 'nellie')
          .replaceAll('$instance', '.*');
        return `      - record: dashboard:expr_${index}\n        expr: ${JSON.stringify(concrete)}\n`;
      });
      const file = path.join(directory, 'dashboard-rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('')}`);
      execFileSync('promtool', ['check', 'rules', file], { stdio: 'pipe' });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
