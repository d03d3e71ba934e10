/** Turns a semble run into the plain-text table `pnpm eval` prints. */
import { bootstrapInterval, formatInterval, pairedBootstrap } from '../bootstrap.ts';
import type { SembleRun } from './run-semble.ts';
import type { PeerSummary, RepoResult } from './summary.ts';

/** Peers shown beside each repository; every published peer appears in the summary block. */
const peerColumns = ['semble-hybrid', 'semble-bm25-ranked', 'cre-hybrid', 'bm25-raw'] as const;

const peerLabels: Record<string, string> = {
  'semble-hybrid': 'semble hybrid',
  'semble-bm25-ranked': 'semble BM25+ranking',
  'cre-hybrid': 'CodeRankEmbed hybrid',
  'cre-semantic': 'CodeRankEmbed semantic',
  'bm25-raw': 'BM25 raw',
  'potion-raw': 'potion raw',
  colgrep: 'ColGREP (files)',
  grepai: 'grepai (files)',
  probe: 'probe (files)',
  ripgrep: 'ripgrep (files)',
};

const categories = ['architecture', 'semantic', 'symbol'] as const;
const summaryWidths = [36, 5, 7, 7, 7, 7];

function score(value: number | undefined): string {
  return value === undefined ? '    –' : value.toFixed(3);
}

function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells
    .map((cell, index) => {
      const text = String(cell);
      const width = widths[index] ?? 8;
      return index === 0 ? text.padEnd(width) : text.padStart(width);
    })
    .join('  ');
}

export function formatSembleReport(run: SembleRun): string {
  const { summary } = run;
  const lines: string[] = [];
  const mode = run.mode === 'hybrid' ? `hybrid (${run.modelId ?? 'model'})` : 'keyword-only';
  lines.push(
    `semble code-search benchmark: split ${run.split}, Nellie ${mode}, ${run.store} store, ${run.sharedStore ? 'one shared store' : 'one store per repository'}`,
    `${summary.repos.length} repositories, ${summary.queries} queries, ${summary.chunks} chunks, indexed in ${summary.indexSeconds.toFixed(1)} s, query p50 ${summary.queryP50Ms.toFixed(1)} ms, p95 ${summary.queryP95Ms.toFixed(1)} ms (in-process)`,
  );
  if (run.unavailable.length > 0) {
    lines.push(
      `unavailable: ${run.unavailable.map((repo) => `${repo.name} (${repo.reason})`).join('; ')}`,
    );
  }

  const widths = [18, 10, 7, 7, 7, 7, 7, 7, 1, 13, 18, 10, 8];
  lines.push(
    '',
    row(
      [
        'repository',
        'language',
        'queries',
        'chunks',
        'index s',
        'p50 ms',
        'NDCG@5',
        'NDCG@10',
        '|',
        ...peerColumns,
      ],
      widths,
    ),
  );
  for (const repo of summary.repos) {
    lines.push(
      row(
        [
          repo.name,
          repo.language,
          repo.queries,
          repo.chunks,
          repo.indexSeconds.toFixed(1),
          repo.queryP50Ms.toFixed(1),
          repo.ndcgAt5.toFixed(3),
          repo.ndcgAt10.toFixed(3),
          '|',
          ...peerColumns.map((id) => score(repo.peers[id])),
        ],
        widths,
      ),
    );
  }
  const peerById = new Map(summary.peers.map((peer) => [peer.id, peer]));
  lines.push(
    row(
      [
        'mean over repos',
        '',
        summary.queries,
        summary.chunks,
        summary.indexSeconds.toFixed(1),
        summary.queryP50Ms.toFixed(1),
        summary.ndcgAt5.toFixed(3),
        summary.ndcgAt10.toFixed(3),
        '|',
        ...peerColumns.map((id) => score(peerById.get(id)?.ndcgAt10)),
      ],
      widths,
    ),
  );

  lines.push(
    '',
    row(
      ['system (same repos)', 'repos', 'NDCG@10', ...categories.map((name) => name.slice(0, 4))],
      summaryWidths,
    ),
  );
  lines.push(
    row(
      [
        `Nellie ${mode}`,
        summary.repos.length,
        summary.ndcgAt10.toFixed(3),
        ...categories.map((name) => score(summary.byCategory[name])),
      ],
      summaryWidths,
    ),
  );
  for (const peer of [...summary.peers].sort((a, b) => b.ndcgAt10 - a.ndcgAt10)) {
    lines.push(formatPeer(peer));
  }
  lines.push(
    `NDCG@10 95% interval, queries resampled within each repository: ${formatInterval(bootstrapInterval(queryScores(run.results)))}`,
  );

  lines.push('', 'by language (NDCG@10, mean over repositories)');
  for (const [language, entry] of Object.entries(summary.byLanguage)) {
    lines.push(
      `  ${language.padEnd(12)} ${entry.ndcgAt10.toFixed(3)}  (${entry.repos} repo${entry.repos === 1 ? '' : 's'})`,
    );
  }
  if (run.variants) lines.push('', formatVariants(run.variants));
  return lines.join('\n');
}

/** Each repository's per-query NDCG@10, the scores the figure is the mean of means of. */
function queryScores(results: readonly RepoResult[]): number[][] {
  return results.map((repo) => repo.queries.map((query) => query.ndcgAt10));
}

/**
 * One line per setting variant, best NDCG@10 first, with the 95% interval of its difference from
 * the defaults on the same queries (a paired bootstrap).
 */
function formatVariants(variants: NonNullable<SembleRun['variants']>): string {
  const defaults = queryScores(variants[0]!.results);
  const lines = [
    `setting variants (same index; NDCG@10; vs defaults: 95% interval of the difference)`,
    `  NDCG@10  ${categories.map((name) => name.slice(0, 4).padStart(5)).join('  ')}  ${'vs defaults'.padEnd(18)}  settings`,
  ];
  for (const variant of [...variants].sort((a, b) => b.summary.ndcgAt10 - a.summary.ndcgAt10)) {
    const byCategory = categories.map((name) =>
      score(variant.summary.byCategory[name]).padStart(5),
    );
    const difference = formatInterval(
      pairedBootstrap(defaults, queryScores(variant.results)),
      true,
    );
    lines.push(
      `  ${variant.summary.ndcgAt10.toFixed(3).padStart(7)}  ${byCategory.join('  ')}  ${difference.padEnd(18)}  ${variant.label}`,
    );
  }
  return lines.join('\n');
}

function formatPeer(peer: PeerSummary): string {
  const label = `${peerLabels[peer.id] ?? peer.id} (published)`;
  return row(
    [
      label,
      peer.repos,
      peer.repos === 0 ? '    –' : peer.ndcgAt10.toFixed(3),
      ...categories.map((name) => score(peer.byCategory[name])),
    ],
    summaryWidths,
  );
}

/** Queries below a perfect NDCG@10, with their targets and the top five hits. */
export function formatMisses(run: SembleRun): string {
  const lines: string[] = [];
  for (const repo of run.results) {
    for (const query of repo.queries) {
      if (query.ndcgAt10 >= 1) continue;
      lines.push(
        `[${repo.name}] [${query.category}] ndcg@10=${query.ndcgAt10.toFixed(3)} ranks=[${query.ranks.join(',')}] q=${JSON.stringify(query.query)}`,
        `    targets: ${query.targets.map((target) => (target.startLine === undefined ? target.path : `${target.path}:${target.startLine}-${target.endLine}`)).join(', ')}`,
        `    top-5:   ${query.top
          .slice(0, 5)
          .map((hit) => `${hit.path}:${hit.startLine}-${hit.endLine}`)
          .join(', ')}`,
      );
    }
  }
  return lines.join('\n');
}
