import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { createFastWordPiece } from '../src/internal/word-piece.ts';
import { standInModelDir } from './helpers.ts';

// The stand-in carries the real all-MiniLM-L6-v2 tokenizer files.
const modelDir = standInModelDir();
const packagesDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('the fast WordPiece path', () => {
  it('gives exactly the ids of the full tokenizer on real source code and edge cases', async () => {
    env.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
    const fast = createFastWordPiece(
      JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')),
    );
    expect(fast).toBeDefined();
    const texts = [
      'getUserById(id: string) { return db.users.find(id); }',
      'A'.repeat(150) + ' short',
      'snake_case_name + camelCaseName - 0x1F3 >= 1e-9 && a !== b',
      'tabs\tand\nnew\r\nlines; `template ${value}` \'quotes\' "double" ~^|\\',
      'xylophonistically zzzzqqq ##already',
      'naïve café — Ångström résumé ÉCOLE',
      '// 関数を呼ぶ 函数 调用 한국어 コード',
      'emoji 🚀 rocket 👍🏽 and math ∑ ≤ ∞ «quotes» ‘smart’ “double” …',
      'control\u0007bell\u0000nul\u200Bzero-width\u00A0nbsp\u2028line',
      'lone \uD800 surrogate and \uFFFD replacement',
      'Straße İstanbul ǅ ﬁ ligature Ⅻ',
      'x'.repeat(101) + 'é',
      ...sourceFiles(packagesDir)
        .slice(0, 80)
        .flatMap((file) => {
          const text = readFileSync(file, 'utf8');
          return Array.from({ length: Math.ceil(text.length / 800) }, (_, index) =>
            text.slice(index * 800, index * 800 + 800),
          );
        }),
    ];
    let checked = 0;
    for (const text of texts) {
      const ids = fast!(text);
      if (/\[(CLS|SEP|PAD|UNK|MASK)\]/.test(text)) {
        // Written-out special tokens are left to the full tokenizer.
        expect(ids).toBeUndefined();
        continue;
      }
      expect(ids, text.slice(0, 80)).toBeDefined();
      expect(ids, text.slice(0, 80)).toEqual(tokenizer.encode(text, { add_special_tokens: false }));
      checked += 1;
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('leaves texts with written special tokens to the full tokenizer', () => {
    const fast = createFastWordPiece(
      JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')),
    )!;
    expect(fast('uses [CLS] pooling')).toBeUndefined();
    expect(fast('plain ascii')).toEqual(expect.any(Array));
  });

  it('gives the words of a vocabulary extension their own id and cuts the rest as before', () => {
    const json: unknown = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8'));
    const plain = createFastWordPiece(json)!;
    const extended = createFastWordPiece(json, new Map([['serializer', 40_000]]))!;
    const [serial] = plain('serializer') as number[];
    const text = 'The JSON Serializer writes serializers; serializer.write(x)';
    const plainIds = plain(text)!;
    expect(plain('serializer')!.length).toBeGreaterThan(1);
    expect(extended(text)).toEqual(
      plain('The JSON')!.concat(
        [40_000],
        plain('writes serializers;')!,
        [40_000],
        plain('.write(x)')!,
      ),
    );
    expect(plainIds).toContain(serial);
    // With an extension every text takes this path, a written-out special token read as text.
    expect(extended('uses [CLS] pooling')).toEqual(plain('uses [ CLS ] pooling'));
    expect(extended('naïve Serializer')).toEqual([...plain('naive')!, 40_000]);
  });

  it('is not built for tokenizers other than plain BERT WordPiece', () => {
    expect(createFastWordPiece({ model: { type: 'BPE', vocab: {} } })).toBeUndefined();
    expect(createFastWordPiece(null)).toBeUndefined();
  });
});
