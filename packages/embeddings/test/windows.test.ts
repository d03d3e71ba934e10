import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalEmbedder, type LocalEmbedder } from '../src/index.ts';
import { genuineModelDir } from './helpers.ts';

// A long function whose first window is all settings checks; what it is for (it mails the report
// over SMTP) comes only after them, past the model's 256 tokens.
const checks = Array.from(
  { length: 7 },
  (_, index) =>
    `  if (typeof settings.option${index} !== 'number' || settings.option${index} < 0) {\n` +
    `    throw new RangeError('option${index} must be a positive number');\n  }`,
).join('\n');
const longFunction =
  'src/report.ts deliver\nexport async function deliver(settings, report) {\n' +
  `${checks}\n` +
  '  const transport = nodemailer.createTransport({ host: settings.smtpHost, port: 587 });\n' +
  '  await transport.sendMail({\n' +
  '    from: settings.sender,\n' +
  '    to: settings.recipients,\n' +
  "    subject: 'Weekly sales report',\n" +
  '    html: report,\n' +
  '  });\n' +
  '}';
const shortFunction =
  'src/files.ts readSettings\nexport function readSettings(path) {\n  return JSON.parse(readFileSync(path, "utf8"));\n}';
const query = 'send the weekly report by email over smtp';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let index = 0; index < a.length; index += 1) dot += a[index]! * b[index]!;
  return dot;
}

describe('reading one window of a text (evaluation), with the genuine all-MiniLM-L6-v2', () => {
  let truncated: LocalEmbedder;
  let first: LocalEmbedder;
  let second: LocalEmbedder;
  beforeAll(async () => {
    const modelDir = genuineModelDir();
    truncated = await createLocalEmbedder({ modelDir, queryWorker: false });
    first = await createLocalEmbedder({ modelDir, onlyWindow: 0, queryWorker: false });
    second = await createLocalEmbedder({ modelDir, onlyWindow: 1, queryWorker: false });
  }, 120_000);
  afterAll(async () => {
    await truncated?.close();
    await first?.close();
    await second?.close();
  });

  it('names the window in the model id', () => {
    expect(second.modelId).toBe('Xenova/all-MiniLM-L6-v2@q8+split-identifiers+window1');
  });

  it('gives the first window exactly the vector of the truncated text, scaled by its tokens', async () => {
    const [plain, scaled] = await Promise.all([
      truncated.embed([longFunction, shortFunction]),
      first.embed([longFunction, shortFunction]),
    ]);
    // A full window of MiniLM holds 254 tokens between [CLS] and [SEP].
    expect(scaled[0]).toEqual(plain[0]!.map((value) => value * 254));
    const shortTokens = Math.round(Math.hypot(...scaled[1]!));
    expect(shortTokens).toBeGreaterThan(10);
    expect(shortTokens).toBeLessThan(60);
    expect(scaled[1]).toEqual(plain[1]!.map((value) => value * shortTokens));
  });

  it('reads the tokens past the first window as the second, and nothing for a short text', async () => {
    const [[later, none], [asked], [head]] = await Promise.all([
      second.embed([longFunction, shortFunction]),
      truncated.embed([query], { priority: 'query' }),
      truncated.embed([longFunction]),
    ]);
    expect(none!.every((value) => value === 0)).toBe(true);
    const tokens = Math.hypot(...later!);
    expect(tokens).toBeGreaterThan(20);
    expect(tokens).toBeLessThan(254);
    const unit = later!.map((value) => value / tokens);
    // The mail-sending code is in the second window only.
    expect(cosine(asked!, unit)).toBeGreaterThan(cosine(asked!, head!) + 0.1);
  });
});
