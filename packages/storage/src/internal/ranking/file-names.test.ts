import { describe, expect, it } from 'vitest';
import { analyzeQuery } from '../tokens.ts';
import { fileNamePathTerms, fileNameShareInQuery, namedFileCandidates } from './file-names.ts';
import { stem } from './term-scoring.ts';

const statistics = { documents: 1000, documentFrequency: () => 10 };

function row(id: number, path: string, content: string) {
  return { id, bm25: -1, path, content, symbol_name: null, enclosing_symbol: null };
}

describe('files named after query words', () => {
  it('looks up each query word of 3 letters or more as a path prefix', () => {
    expect(fileNamePathTerms(analyzeQuery('how is the PDF output built'))).toEqual([
      { token: 'pdf', prefix: true },
      { token: 'outpu', prefix: true },
      { token: 'built', prefix: true },
    ]);
  });

  it('measures how much of a file name the query names', () => {
    const query = new Set(['json', 'array', 'element'].map(stem));
    expect(fileNameShareInQuery('src/JsonArray.java', query)).toBe(1);
    expect(fileNameShareInQuery('src/json_array_builder.ts', query)).toBeCloseTo(2 / 3);
    expect(fileNameShareInQuery('src/json/Reader.java', query)).toBe(0);
    expect(fileNameShareInQuery('src/json/Reader.java', query, 1)).toBe(1 / 2);
  });

  it("takes each named file's best chunk, best first, and skips files already found", () => {
    const analyzed = analyzeQuery('pdf output generation');
    const rows = [
      row(1, 'src/pdf.ts', 'const x = 1;'),
      row(2, 'src/pdf.ts', 'pdf output output'),
      row(3, 'src/pdf_writer.ts', 'pdf'),
      row(7, 'src/pdf/writer.ts', 'write pdf output'),
      row(4, 'src/output.ts', 'output'),
      row(5, 'src/pdf_output_extra_long_name.ts', 'pdf output'),
      row(6, 'docs/pdf/other.ts', 'pdf'),
    ];
    const found = namedFileCandidates(rows, analyzed, statistics, new Set(['src/output.ts']));
    // pdf/writer.ts and pdf/other.ts are in a directory named after a query word, but their own
    // names hold none, and only 2 of the 5 words of the long name are query words;
    // src/output.ts already has a candidate.
    expect(found.map((entry) => entry.id)).toEqual([2, 3]);
    expect(found.every((entry) => Number.isNaN(entry.bm25))).toBe(true);
  });
});
