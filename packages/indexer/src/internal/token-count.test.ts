import { describe, expect, it } from 'vitest';
import { estimateTokenCount } from './token-count.ts';

// Token counts (with [CLS] and [SEP]) measured with the real all-MiniLM-L6-v2 tokenizer.
const measured: [string, number][] = [
  [
    'export async function getUserById(id: string): Promise<User | null> {\n  return db.users.findOne({ where: { id } });\n}',
    42,
  ],
  ['def parse_config(path):\n    with open(path) as handle:\n        return json.load(handle)', 29],
  [
    'func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {\n\ts.mux.ServeHTTP(w, r)\n}',
    40,
  ],
  [
    'impl fmt::Display for Point {\n    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, "({}, {})", self.x, self.y) }\n}',
    65,
  ],
  [
    "static int xmlParseCharRef(xmlParserCtxtPtr ctxt) { int val = 0; if (RAW == '&') NEXT; return val; }",
    42,
  ],
  ['const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";', 59],
  ["SELECT u.id, u.email FROM users u WHERE u.created_at > NOW() - INTERVAL '7 days';", 30],
  ['// 日本語のコメント: ユーザーを取得する\nconst 名前 = "テスト";', 29],
  ["weekdays: '일요일_월요일_화요일_수요일_목요일_금요일_토요일'.split('_'),", 73],
  [
    'The quick brown fox jumps over the lazy dog. Kubernetes orchestrates containerized workloads.',
    24,
  ],
];

describe('estimateTokenCount', () => {
  it.each(measured)('never underestimates the real tokenizer: %s', (text, real) => {
    const estimate = estimateTokenCount(text);
    expect(estimate).toBeGreaterThanOrEqual(real);
    // …and stays a usable estimate rather than a wild overcount.
    expect(estimate).toBeLessThanOrEqual(real * 2);
  });

  it('counts the special tokens of an empty text', () => {
    expect(estimateTokenCount('')).toBe(2);
    expect(estimateTokenCount(' \n\t ')).toBe(2);
  });

  it('adds up over lines, so line-wise sums match whole-text estimates', () => {
    const text = measured.map(([snippet]) => snippet).join('\n');
    const sum = measured.reduce((total, [snippet]) => total + estimateTokenCount(snippet) - 2, 2);
    expect(Math.abs(estimateTokenCount(text) - sum)).toBeLessThanOrEqual(measured.length);
  });
});
