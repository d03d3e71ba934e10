import { afterEach, describe, expect, it } from 'vitest';
import { analyzeQuery } from '../tokens.ts';
import {
  candidatesMissingSimilarity,
  isSymbolQuery,
  queryKind,
  rankCodeHits,
} from './hit-ranking.ts';
import { codeFusion, codeRanking } from './settings.ts';
import { stem } from './term-scoring.ts';

describe('stem', () => {
  it('maps common inflections to one form', () => {
    expect(new Set(['parse', 'parses', 'parsing', 'parsed'].map(stem)).size).toBe(1);
    expect(stem('queries')).toBe('query');
    expect(stem('class')).toBe('class');
    expect(stem('running')).toBe(stem('run'));
    expect(stem('id')).toBe('id');
  });
});

describe('rankCodeHits', () => {
  const row = (id: number, bm25: number, symbol: string | null, path: string, content = '') => ({
    id,
    bm25,
    symbol_name: symbol,
    enclosing_symbol: null,
    path,
    content,
  });

  it('boosts the chunk whose symbol the query names exactly', () => {
    const ranked = rankCodeHits(analyzeQuery('parseConfig'), [
      {
        row: row(1, -5, 'loadSettings', 'src/a.ts', 'parseConfig(parseConfig)'),
        level: 0,
        complete: true,
      },
      { row: row(2, -3, 'parseConfig', 'src/config.ts'), level: 0, complete: true },
    ]);
    expect(ranked.map((hit) => hit.row.id)).toEqual([2, 1]);
  });

  it('keeps stricter levels first when levels do not decay, and demotes test files', () => {
    const savedDecay = codeRanking.levelDecay;
    codeRanking.levelDecay = 0;
    const ranked = rankCodeHits(analyzeQuery('token refresh'), [
      { row: row(1, -50, null, 'src/a.ts', 'token'), level: 2, complete: false },
      { row: row(2, -1, null, 'src/b.ts', 'token refresh'), level: 0, complete: true },
      { row: row(3, -1.1, null, 'src/b.test.ts', 'token refresh'), level: 0, complete: true },
    ]);
    codeRanking.levelDecay = savedDecay;
    expect(ranked.map((hit) => hit.row.id)).toEqual([2, 3, 1]);
  });
});

describe('ranking steps', () => {
  const saved = { ...codeRanking };
  afterEach(() => {
    Object.assign(codeRanking, saved);
  });
  const row = (id: number, bm25: number, symbol: string | null, path: string, content = '') => ({
    id,
    bm25,
    symbol_name: symbol,
    enclosing_symbol: null,
    path,
    content,
  });
  const match = (id: number, bm25: number, symbol: string | null, path: string, level = 1) => ({
    row: row(id, bm25, symbol, path),
    level,
    complete: true,
  });

  it('tells identifier-like queries from questions', () => {
    for (const query of [
      'parseConfig',
      'Router',
      '_private',
      'Phoenix.Router',
      'a::b',
      'MAX_SIZE',
    ]) {
      expect(isSymbolQuery(query), query).toBe(true);
    }
    for (const query of ['session', 'how do retries work', 'parse config']) {
      expect(isSymbolQuery(query), query).toBe(false);
    }
  });

  it('tells identifiers, prose naming an identifier and other prose apart', () => {
    expect(queryKind('parseConfig')).toBe('symbol');
    expect(queryKind('Phoenix.Router')).toBe('symbol');
    for (const query of [
      'how parseArgs handles flags',
      'Plug.Router for route dispatch',
      'where is max_retries read',
      'how Rails::Engine loads',
    ]) {
      expect(queryKind(query), query).toBe('mixed');
    }
    for (const query of ['how are routes matched', 'template rendering', 'session']) {
      expect(queryKind(query), query).toBe('prose');
    }
  });

  it('decays further chunks of a file so other files get a place', () => {
    const matches = [
      match(1, -10, null, 'src/a.ts'),
      match(2, -9, null, 'src/a.ts'),
      match(3, -8, null, 'src/a.ts'),
      match(4, -6, null, 'src/b.ts'),
    ];
    codeRanking.fileCoherence = 0;
    codeRanking.fileSaturationDecay = 1;
    expect(rankCodeHits(analyzeQuery('retry'), matches).map((hit) => hit.row.id)).toEqual([
      1, 2, 3, 4,
    ]);
    codeRanking.fileSaturationDecay = 0.5;
    expect(rankCodeHits(analyzeQuery('retry'), matches).map((hit) => hit.row.id)).toEqual([
      1, 4, 2, 3,
    ]);
  });

  it('lifts the definition of a queried symbol and files named by a question', () => {
    codeRanking.levelDecay = 1;
    const symbolMatches = [
      match(1, -20, 'useRouter', 'src/app.ts'),
      match(2, -2, 'Router', 'src/x.ts'),
    ];
    codeRanking.definitionBoost = 0;
    codeRanking.exactSymbol = 0;
    expect(
      rankCodeHits(analyzeQuery('Router'), symbolMatches, undefined, 'Router')[0]?.row.id,
    ).toBe(1);
    codeRanking.definitionBoost = 3;
    expect(
      rankCodeHits(analyzeQuery('Router'), symbolMatches, undefined, 'Router')[0]?.row.id,
    ).toBe(2);

    const question = 'where are retry delays computed';
    const questionMatches = [
      match(1, -5, null, 'src/client.ts'),
      match(2, -4, null, 'src/retry/delay.ts'),
    ];
    codeRanking.pathCoverage = 0;
    codeRanking.fileNameBoost = 0;
    expect(
      rankCodeHits(analyzeQuery(question), questionMatches, undefined, question)[0]?.row.id,
    ).toBe(1);
    codeRanking.fileNameBoost = 1;
    expect(
      rankCodeHits(analyzeQuery(question), questionMatches, undefined, question)[0]?.row.id,
    ).toBe(2);
  });

  it('matches question words to file names by a shared prefix', () => {
    codeRanking.levelDecay = 1;
    codeRanking.pathCoverage = 0;
    codeRanking.fileNamePurity = 0;
    const question = 'function composition utility';
    const matches = [match(1, -5, null, 'src/store.ts'), match(2, -3, null, 'src/compose.ts')];
    codeRanking.fileNamePrefix = 0;
    expect(rankCodeHits(analyzeQuery(question), matches, undefined, question)[0]?.row.id).toBe(1);
    codeRanking.fileNamePrefix = 5;
    expect(rankCodeHits(analyzeQuery(question), matches, undefined, question)[0]?.row.id).toBe(2);
  });

  it('lifts files named after query words only above files whose name holds other words too', () => {
    codeRanking.levelDecay = 1;
    codeRanking.pathCoverage = 0;
    const question = 'channel for sending values';
    const matches = [
      match(1, -5, null, 'src/channels/BufferedChannel.kt'),
      match(2, -4.5, null, 'src/channels/Channel.kt'),
    ];
    codeRanking.fileNamePurity = 0;
    expect(rankCodeHits(analyzeQuery(question), matches, undefined, question)[0]?.row.id).toBe(1);
    codeRanking.fileNamePurity = 1;
    expect(rankCodeHits(analyzeQuery(question), matches, undefined, question)[0]?.row.id).toBe(2);
  });

  it('penalises examples, compat shims and re-export barrels when asked to', () => {
    codeRanking.levelDecay = 1;
    const matches = [match(1, -10, null, 'examples/retry.py'), match(2, -6, null, 'src/retry.py')];
    codeRanking.penalisePaths = false;
    expect(rankCodeHits(analyzeQuery('retry'), matches)[0]?.row.id).toBe(1);
    codeRanking.penalisePaths = true;
    expect(rankCodeHits(analyzeQuery('retry'), matches)[0]?.row.id).toBe(2);
  });

  it('scales the file-name boost of a test file by the test penalty', () => {
    codeRanking.levelDecay = 1;
    codeRanking.fileNamePurity = 0;
    const question = 'retry delay';
    const matches = [
      match(1, -5, null, 'test/retry_delay_test.py'),
      match(2, -4, null, 'src/retry.py'),
    ];
    const first = () =>
      rankCodeHits(analyzeQuery(question), matches, undefined, question)[0]?.row.id;
    codeRanking.boostFileFactorPower = 0;
    expect(first()).toBe(1);
    codeRanking.boostFileFactorPower = 1;
    expect(first()).toBe(2);
  });

  it('counts docs less for queries naming an identifier', () => {
    codeRanking.levelDecay = 1;
    codeRanking.pathCoverage = 0;
    codeRanking.fileNameBoost = 0;
    codeRanking.fileCoherence = 0;
    codeRanking.embeddedDefinitionBoost = 0;
    codeRanking.docsForIdentifierQueries = 0.3;
    const matches = [match(1, -10, null, 'docs/response.md'), match(2, -5.5, null, 'src/body.rs')];
    const first = (query: string) =>
      rankCodeHits(analyzeQuery(query), matches, undefined, query)[0]?.row.id;
    expect(first('how handler values become responses')).toBe(1);
    expect(first('how IntoResponse turns handler values into responses')).toBe(2);
    codeRanking.docsForIdentifierQueries = 0.6;
    expect(first('how IntoResponse turns handler values into responses')).toBe(1);
  });

  describe('with vector matches', () => {
    const question = 'where are failed uploads tried again';
    const lexicalOnly = {
      row: row(1, -8, 'logUpload', 'src/log.ts', 'log failed uploads'),
      level: 0,
      complete: false,
    };
    const both = row(2, -2, 'uploadFile', 'src/upload.ts', 'upload with retries');
    const vectorOnly = row(
      3,
      Number.NaN,
      'retryUpload',
      'src/retry.ts',
      'function retryUpload() {}',
    );

    it('fuses both lists: a chunk the vectors rank first can lead a weaker full-text match', () => {
      const ranked = rankCodeHits(
        analyzeQuery(question),
        [lexicalOnly, { row: both, level: 0, complete: false }],
        undefined,
        question,
        [
          { row: both, similarity: 0.8 },
          { row: vectorOnly, similarity: 0.5 },
        ],
      );
      expect(ranked.map((hit) => hit.row.id)).toEqual([2, 1, 3]);
      expect(ranked[0]).toMatchObject({
        lexical: { rank: 2 },
        vector: { rank: 1, similarity: 0.8 },
      });
      expect(ranked.find((hit) => hit.row.id === 3)).not.toHaveProperty('lexical');
    });

    it('leans less on the vectors for prose that names an identifier', () => {
      const lexicalBest = row(1, -5, null, 'src/a.ts', 'parse the flags');
      const vectorBest = row(2, Number.NaN, null, 'src/b.ts', 'read options');
      const order = (query: string) =>
        rankCodeHits(
          analyzeQuery(query),
          [{ row: lexicalBest, level: 0, complete: true }],
          undefined,
          query,
          [{ row: vectorBest, similarity: 0.7 }],
        ).map((hit) => hit.row.id);
      expect(order('how flags are parsed')).toEqual([2, 1]);
      expect(order('how parseArgs handles flags')).toEqual([1, 2]);
    });

    it('gives similarities below the floor nothing, so a weak vector list cannot outrank the full text', () => {
      const query = 'how are uploads resumed';
      const lexicalBest = row(1, -8, null, 'src/a.ts', 'uploads resumed');
      const inBoth = row(2, -4, null, 'src/b.ts', 'uploads');
      const lexicalWorst = row(5, -1, null, 'src/e.ts', 'resumed');
      const vectorBest = row(3, Number.NaN, null, 'src/c.ts', 'continue a transfer');
      const vectorWorst = row(4, Number.NaN, null, 'src/d.ts', 'colour palette');
      const order = (floor: number) => {
        const saved = codeFusion.vectorSimilarityFloor;
        codeFusion.vectorSimilarityFloor = floor;
        try {
          return rankCodeHits(
            analyzeQuery(query),
            [lexicalBest, inBoth, lexicalWorst].map((r) => ({ row: r, level: 0, complete: true })),
            undefined,
            query,
            [
              { row: vectorBest, similarity: 0.6 },
              { row: inBoth, similarity: 0.3 },
              { row: vectorWorst, similarity: 0 },
            ],
          ).map((hit) => hit.row.id);
        } finally {
          codeFusion.vectorSimilarityFloor = saved;
        }
      };
      // Normalised from the list's worst (0), 0.3 is half the best and lifts chunk 2 over 1.
      expect(order(-1).slice(0, 3)).toEqual([3, 2, 1]);
      // From the floor (0.2), 0.3 is a quarter of the way; 0 adds nothing at all.
      expect(order(0.2).slice(0, 3)).toEqual([3, 1, 2]);
      // A list wholly below the floor adds nothing: the full-text order stands.
      expect(order(0.7).slice(0, 3)).toEqual([1, 2, 5]);
    });

    it('gives a definition only the vector index found the definition boost', () => {
      const ranked = rankCodeHits(
        analyzeQuery('retryUpload'),
        [
          {
            row: row(1, -8, 'logUpload', 'src/log.ts', 'retryUpload(); retryUpload();'),
            level: 0,
            complete: true,
          },
        ],
        undefined,
        'retryUpload',
        [{ row: vectorOnly, similarity: 0.3 }],
      );
      expect(ranked[0]?.row.id).toBe(3);
    });
  });
});

describe('completing the fused score from the list a chunk is missing from', () => {
  const saved = { ...codeFusion };
  afterEach(() => {
    Object.assign(codeFusion, saved);
  });
  const row = (id: number, bm25: number, path: string, content: string) => ({
    id,
    bm25,
    symbol_name: null,
    enclosing_symbol: null,
    path,
    content,
  });
  const query = 'where is the token refreshed';

  describe('vector side', () => {
    // Two full-text candidates of nearly equal relevance that the vector list lacks.
    const first = { row: row(1, -5, 'src/a.ts', 'token refresh'), level: 0, complete: true };
    const second = { row: row(2, -4.9, 'src/b.ts', 'token refresh'), level: 0, complete: true };
    const weakest = { row: row(9, -1, 'src/z.ts', 'token'), level: 0, complete: true };
    const vectorList = [
      { row: row(3, Number.NaN, 'src/c.ts', 'renew credentials'), similarity: 0.8 },
      { row: row(4, Number.NaN, 'src/d.ts', 'session state'), similarity: 0.4 },
    ];
    const order = (similarities: Map<number, number>) =>
      rankCodeHits(
        analyzeQuery(query),
        [first, second, weakest],
        undefined,
        query,
        vectorList,
        similarities,
      )
        .map((hit) => hit.row.id)
        .filter((id) => id <= 2);

    it('lists the full-text candidates whose similarity is missing, only when completion is on', () => {
      codeFusion.completeVectorSide = false;
      expect(candidatesMissingSimilarity([first, second], [{ id: 3 }, { id: 2 }])).toEqual([]);
      codeFusion.completeVectorSide = true;
      expect(candidatesMissingSimilarity([first, second], [{ id: 3 }, { id: 2 }])).toEqual([1]);
      expect(candidatesMissingSimilarity([first, second], [])).toEqual([]);
    });

    it('gives a full-text candidate its exact similarity, scaled like the vector list', () => {
      const similarities = new Map([
        [1, 0.2],
        [2, 0.7],
      ]);
      codeFusion.completeVectorSide = false;
      expect(order(similarities)).toEqual([1, 2]);
      codeFusion.completeVectorSide = true;
      codeFusion.vectorCompletionFloor = 0;
      expect(order(similarities)).toEqual([2, 1]);
      const scoreOf2 = (known: Map<number, number>) =>
        rankCodeHits(analyzeQuery(query), [second], undefined, query, vectorList, known)[0]!.score;
      // The vector list's worst similarity adds nothing; a better one adds its share.
      const alone = scoreOf2(new Map());
      expect(scoreOf2(new Map([[2, 0.4]]))).toBeCloseTo(alone, 9);
      expect(scoreOf2(new Map([[2, 0.6]]))).toBeGreaterThan(alone);
      expect(scoreOf2(similarities)).toBeGreaterThan(scoreOf2(new Map([[2, 0.6]])));
    });

    it('clips similarities below the vector list at the floor, or lets them count against', () => {
      const similarities = new Map([
        [1, 0.1],
        [2, 0.35],
      ]);
      codeFusion.completeVectorSide = true;
      codeFusion.vectorCompletionFloor = 0;
      expect(order(similarities)).toEqual([1, 2]);
      codeFusion.vectorCompletionFloor = -1e9;
      expect(order(similarities)).toEqual([2, 1]);
    });
  });

  describe('full-text side', () => {
    const statistics = { documents: 1000, documentFrequency: () => 10 };
    const lexicalList = [
      { row: row(1, -10, 'src/a.ts', 'token refresh'), level: 0, complete: true },
      { row: row(2, -1, 'src/b.ts', 'token'), level: 0, complete: true },
    ];
    // Equally similar; only the first holds the query's words. Ties go to the newer chunk (4).
    const withWords = row(3, Number.NaN, 'src/c.ts', 'refresh the token when it expires');
    const withoutWords = row(4, Number.NaN, 'src/d.ts', 'renew credentials');
    const vectorList = [
      { row: row(5, Number.NaN, 'src/e.ts', 'session state'), similarity: 0.9 },
      { row: withoutWords, similarity: 0.5 },
      { row: withWords, similarity: 0.5 },
    ];
    const ranked = () =>
      rankCodeHits(analyzeQuery(query), lexicalList, statistics, query, vectorList);

    it('gives a vector-only candidate its BM25, scaled like the full-text list', () => {
      codeFusion.completeLexicalSide = false;
      const before = ranked();
      expect(before.findIndex((hit) => hit.row.id === 4)).toBeLessThan(
        before.findIndex((hit) => hit.row.id === 3),
      );
      codeFusion.completeLexicalSide = true;
      codeFusion.lexicalCompletionFloor = 0;
      const after = ranked();
      expect(after.findIndex((hit) => hit.row.id === 3)).toBeLessThan(
        after.findIndex((hit) => hit.row.id === 4),
      );
      // Its full-text credit is in the fused score; it still has no full-text rank.
      expect(after.find((hit) => hit.row.id === 3)!.score).toBeGreaterThan(
        before.find((hit) => hit.row.id === 3)!.score,
      );
      expect(after.find((hit) => hit.row.id === 3)).not.toHaveProperty('lexical');
    });

    it('lets a chunk without the query words count against, below the floor of 0', () => {
      codeFusion.completeLexicalSide = true;
      codeFusion.lexicalCompletionFloor = 0;
      const clipped = ranked().find((hit) => hit.row.id === 4)!.score;
      codeFusion.lexicalCompletionFloor = -1e9;
      expect(ranked().find((hit) => hit.row.id === 4)!.score).toBeLessThan(clipped);
    });

    it('needs the scope statistics to score a chunk the full text did not find', () => {
      codeFusion.completeLexicalSide = true;
      const order = rankCodeHits(analyzeQuery(query), lexicalList, undefined, query, vectorList);
      expect(order.findIndex((hit) => hit.row.id === 4)).toBeLessThan(
        order.findIndex((hit) => hit.row.id === 3),
      );
    });
  });
});
