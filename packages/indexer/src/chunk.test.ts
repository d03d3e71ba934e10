import { formatChunkForEmbedding, type ChunkInput } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import { chunkFile } from './chunk.ts';
import { estimateTokenCount } from './internal/token-count.ts';

/** Every chunk holds exact source lines and fits the budget with its header. */
function expectValidChunks(
  path: string,
  content: string,
  chunks: ChunkInput[],
  budget: number,
): void {
  const lines = content.replace(/\r\n/g, '\n').split('\n');
  for (const chunk of chunks) {
    expect(chunk.startLine).toBeGreaterThanOrEqual(1);
    expect(chunk.endLine).toBeGreaterThanOrEqual(chunk.startLine);
    const source = lines.slice(chunk.startLine - 1, chunk.endLine).join('\n');
    if (chunk.startLine === chunk.endLine && chunk.content !== source) {
      // A piece of one over-long line.
      expect(source).toContain(chunk.content);
    } else {
      expect(chunk.content).toBe(source);
    }
    const embedded = formatChunkForEmbedding({ ...chunk, path });
    expect(estimateTokenCount(embedded)).toBeLessThanOrEqual(budget);
  }
  for (let index = 1; index < chunks.length; index += 1) {
    expect(chunks[index]!.startLine).toBeGreaterThanOrEqual(chunks[index - 1]!.startLine);
  }
}

function find(chunks: ChunkInput[], name: string): ChunkInput | undefined {
  return chunks.find((chunk) => chunk.symbolName === name);
}

const typescript = `import { db } from './db';

/** Loads users and caches them. */
export class UserService {
  private cache = new Map<string, User>();

  constructor(private readonly repo: Repo) {}

  async getUserById(id: string): Promise<User | null> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const user = await this.repo.find(id);
    if (user) this.cache.set(id, user);
    return user;
  }

  async deleteUser(id: string): Promise<void> {
    this.cache.delete(id);
    await this.repo.remove(id);
    await db.audit.write({ action: 'user.delete', target: id });
  }
}

export const formatName = (user: User): string => \`\${user.first} \${user.last}\`;
`;

const samples: Record<
  string,
  { path: string; content: string; expect: [string, string, string | null][] }
> = {
  typescript: {
    path: 'src/user-service.ts',
    content: typescript,
    expect: [
      ['getUserById', 'method', 'UserService'],
      ['deleteUser', 'method', 'UserService'],
      ['formatName', 'function', null],
    ],
  },
  tsx: {
    path: 'src/button.tsx',
    content: `import { cx } from './cx';

export function Button({ label, primary }: { label: string; primary?: boolean }) {
  const className = cx('btn', primary && 'btn-primary', 'rounded-md shadow-sm px-4 py-2');
  return <button className={className} type="button">{label}</button>;
}

export function IconButton({ icon, label }: { icon: string; label: string }) {
  return <button aria-label={label} className="icon-button"><img src={icon} alt="" /></button>;
}
`,
    expect: [
      ['Button', 'function', null],
      ['IconButton', 'function', null],
    ],
  },
  javascript: {
    path: 'lib/timing.js',
    content: `function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

class Throttle {
  constructor(limit) {
    this.limit = limit;
    this.calls = [];
  }

  allow(now = Date.now()) {
    this.calls = this.calls.filter((time) => now - time < 1000);
    if (this.calls.length >= this.limit) return false;
    this.calls.push(now);
    return true;
  }
}
`,
    expect: [
      ['debounce', 'function', null],
      ['allow', 'method', 'Throttle'],
    ],
  },
  python: {
    path: 'app/greeter.py',
    content: `import os


class Greeter:
    """Says hello to people, politely and with their configured display name."""

    def __init__(self, name, punctuation="!"):
        self.name = name
        self.punctuation = punctuation

    def greet(self, greeting="Hello"):
        message = f"{greeting}, {self.name}{self.punctuation}"
        print(message)
        return message


def main():
    print(Greeter(os.getenv("USER", "stranger")).greet())
`,
    expect: [
      ['greet', 'method', 'Greeter'],
      ['main', 'function', null],
    ],
  },
  go: {
    path: 'server/server.go',
    content: `package server

import "net/http"

type Server struct {
	mux    *http.ServeMux
	logger Logger
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.logger.Printf("%s %s", r.Method, r.URL.Path)
	s.mux.ServeHTTP(w, r)
}

func NewServer(logger Logger) *Server {
	return &Server{mux: http.NewServeMux(), logger: logger}
}
`,
    expect: [
      ['ServeHTTP', 'method', 'Server'],
      ['NewServer', 'function', null],
    ],
  },
  rust: {
    path: 'src/point.rs',
    content: `pub struct Point {
    x: i32,
    y: i32,
}

impl Point {
    pub fn new(x: i32, y: i32) -> Self {
        Point { x, y }
    }

    pub fn manhattan(&self, other: &Point) -> i32 {
        (self.x - other.x).abs() + (self.y - other.y).abs()
    }
}

fn distance(a: &Point, b: &Point) -> f64 {
    (((a.x - b.x).pow(2) + (a.y - b.y).pow(2)) as f64).sqrt()
}
`,
    expect: [
      ['manhattan', 'method', 'Point'],
      ['distance', 'function', null],
    ],
  },
  java: {
    path: 'src/app/Account.java',
    content: `package app;

public class Account {
    private long balance;

    public void deposit(long amount) {
        if (amount <= 0) throw new IllegalArgumentException("amount must be positive");
        balance += amount;
    }

    public void withdraw(long amount) {
        if (amount > balance) throw new IllegalStateException("insufficient funds");
        balance -= amount;
    }
}
`,
    expect: [
      ['deposit', 'method', 'Account'],
      ['withdraw', 'method', 'Account'],
    ],
  },
  c: {
    path: 'src/math.c',
    content: `#include <stdio.h>

struct point { int x; int y; };

static int manhattan(struct point a, struct point b) {
    int dx = a.x > b.x ? a.x - b.x : b.x - a.x;
    int dy = a.y > b.y ? a.y - b.y : b.y - a.y;
    return dx + dy;
}

int main(void) {
    struct point a = { 1, 2 }, b = { 4, 6 };
    printf("%d\\n", manhattan(a, b));
    return 0;
}
`,
    expect: [
      ['manhattan', 'function', null],
      ['main', 'function', null],
    ],
  },
  cpp: {
    path: 'src/shapes.cpp',
    content: `namespace geo {
class Shape {
 public:
  virtual ~Shape() = default;
  virtual double area() const { return 0; }
  virtual double perimeter() const { return 0; }
};
}

double geo::Circle::area() const {
  const double pi = 3.14159265358979323846;
  return pi * radius_ * radius_;
}
`,
    expect: [['area', 'method', 'geo.Circle']],
  },
  csharp: {
    path: 'Shop/Cart.cs',
    content: `namespace Shop
{
    public class Cart
    {
        private readonly List<string> items = new List<string>();

        public void AddItem(string sku)
        {
            if (string.IsNullOrWhiteSpace(sku)) throw new ArgumentException("sku");
            items.Add(sku);
        }

        public int Count()
        {
            return items.Count;
        }
    }
}
`,
    expect: [['AddItem', 'method', 'Shop.Cart']],
  },
  ruby: {
    path: 'lib/billing/invoice.rb',
    content: `module Billing
  class Invoice
    def initialize(lines)
      @lines = lines
    end

    def total
      @lines.sum(&:amount) - discounts.sum(&:amount) + taxes.sum(&:amount)
    end
  end
end
`,
    expect: [['total', 'method', 'Billing.Invoice']],
  },
  php: {
    path: 'src/Mailer.php',
    content: `<?php
namespace App;

class Mailer {
    public function send(string $to, string $subject, string $body): bool {
        $headers = ['From' => 'noreply@example.com', 'Content-Type' => 'text/plain'];
        return mail($to, $subject, $body, $headers);
    }
}
`,
    expect: [['send', 'method', 'Mailer']],
  },
  shell: {
    path: 'scripts/deploy.sh',
    content: `#!/usr/bin/env bash
set -euo pipefail

build_release() {
  local version="$1"
  npm ci && npm run build -- --release "$version" && tar czf "release-$version.tgz" dist
}

upload_release() {
  scp "release-$1.tgz" deploy@example.invalid:/srv/releases/ && ssh deploy@example.invalid restart
}
`,
    expect: [
      ['build_release', 'function', null],
      ['upload_release', 'function', null],
    ],
  },
};

describe('chunkFile with tree-sitter grammars', () => {
  it.each(Object.entries(samples))('chunks %s at definitions', async (_language, sample) => {
    const budget = 64;
    const chunks = await chunkFile({
      path: sample.path,
      content: sample.content,
      maxTokens: budget,
    });
    expectValidChunks(sample.path, sample.content, chunks, budget);
    for (const [name, kind, enclosing] of sample.expect) {
      const chunk = find(chunks, name);
      expect(chunk, `a chunk for ${name}`).toBeDefined();
      expect(chunk!.symbolKind).toBe(kind);
      expect(chunk!.enclosingSymbol).toBe(enclosing);
      expect(chunk!.language).toBe(_language === 'tsx' ? 'typescript' : _language);
    }
  });

  it('records exact 1-based line ranges for a method', async () => {
    const chunks = await chunkFile({
      path: 'src/user-service.ts',
      content: typescript,
      maxTokens: 128,
    });
    const chunk = find(chunks, 'deleteUser')!;
    expect(chunk.startLine).toBe(17);
    // The method ends on line 21; the class's closing brace may ride along.
    expect([21, 22]).toContain(chunk.endLine);
    expect(chunk.content.split('\n')[0]).toBe('  async deleteUser(id: string): Promise<void> {');
  });

  it('keeps a small file whole and merges tiny definitions', async () => {
    const content =
      'export const a = 1;\nexport function b() { return a; }\nexport function c() { return b(); }\n';
    const chunks = await chunkFile({ path: 'small.ts', content });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ startLine: 1, endLine: 3, content: content.trimEnd() });
    expect(chunks[0]!.symbolName).toBeNull();
  });

  it('splits a definition larger than the budget into parts that all fit', async () => {
    const body = Array.from(
      { length: 120 },
      (_, index) => `  total += computeWeightedScore(items[${index}], weights.primary, options);`,
    ).join('\n');
    const content = `export function scoreEverything(items: Item[], weights: Weights) {\n  let total = 0;\n${body}\n  return total;\n}\n`;
    const chunks = await chunkFile({ path: 'src/score.ts', content, maxTokens: 256 });
    expect(chunks.length).toBeGreaterThan(3);
    expectValidChunks('src/score.ts', content, chunks, 256);
    for (const chunk of chunks) expect(chunk.symbolName).toBe('scoreEverything');
    // Together the parts cover every line of the function.
    expect(chunks[0]!.startLine).toBe(1);
    expect(chunks.at(-1)!.endLine).toBe(124);
  });

  it('names a documentation comment too long to share a chunk after the symbol it documents', async () => {
    const doc = Array.from(
      { length: 40 },
      (_, index) => ` * Detail ${index} about converting calendar dates between time zones.`,
    );
    const content = `/**\n${doc.join('\n')}\n */\nexport function convertZone(date: Date, zone: string): Date {\n  return shift(date, zone);\n}\n`;
    const chunks = await chunkFile({ path: 'src/zone.ts', content, maxTokens: 128 });
    expect(chunks.length).toBeGreaterThan(2);
    expectValidChunks('src/zone.ts', content, chunks, 128);
    for (const chunk of chunks) expect(chunk.symbolName).toBe('convertZone');
  });

  it('keeps a doc comment separated by one blank line with the function it documents', async () => {
    const filler = Array.from(
      { length: 30 },
      (_, index) => `function helper${index}(value) {\n  return transform${index}(value, options${index});\n}\n`,
    ).join('\n');
    const content = `${filler}\n/**\n * Stringify JSON and escape characters that trigger HTML sniffing.\n */\n\nfunction stringify(value) {\n  return JSON.stringify(value).replace(/[<>&]/g, escapeChar);\n}\n`;
    const chunks = await chunkFile({ path: 'lib/response.js', content, maxTokens: 128 });
    expectValidChunks('lib/response.js', content, chunks, 128);
    const documented = chunks.find((chunk) => chunk.content.includes('HTML sniffing'));
    expect(documented?.symbolName).toBe('stringify');
    expect(documented?.content).toContain('function stringify(value)');
  });

  it('cuts an over-long single line into pieces of that line', async () => {
    const line = `const table = [${Array.from({ length: 400 }, (_, index) => `'entry${index}'`).join(', ')}];`;
    const chunks = await chunkFile({ path: 'table.ts', content: `${line}\n`, maxTokens: 128 });
    expect(chunks.length).toBeGreaterThan(5);
    expectValidChunks('table.ts', line, chunks, 128);
    expect(chunks.map((chunk) => chunk.content).join('')).toBe(line);
  });

  it('falls back to line windows when parsing takes too long', async () => {
    const chunks = await chunkFile({
      path: 'src/user-service.ts',
      content: typescript,
      maxTokens: 64,
      parseTimeoutMs: -1,
    });
    expectValidChunks('src/user-service.ts', typescript, chunks, 64);
    expect(chunks.every((chunk) => chunk.symbolName === null)).toBe(true);
  });

  it('handles CRLF line endings with exact lines', async () => {
    const content = 'def a():\r\n    return 1\r\n\r\ndef b():\r\n    return 2\r\n';
    const chunks = await chunkFile({ path: 'crlf.py', content, maxTokens: 256 });
    expect(chunks[0]!.content).toBe('def a():\n    return 1\n\ndef b():\n    return 2');
  });
});

describe('chunkFile for Markdown and other text', () => {
  it('splits Markdown at headings and ignores headings in code fences', async () => {
    const intro = 'Nellie remembers code. '.repeat(30);
    const content = [
      '# Nellie',
      '',
      intro,
      '',
      '## Install',
      '',
      'Run the installer.',
      '',
      '```sh',
      '# not a heading',
      'nellie serve',
      '```',
      '',
      '## Usage',
      '',
      'Search with `nellie search`. '.repeat(30),
    ].join('\n');
    const chunks = await chunkFile({ path: 'README.md', content, maxTokens: 128 });
    expectValidChunks('README.md', content, chunks, 128);
    const install = find(chunks, 'Install')!;
    expect(install).toMatchObject({
      symbolKind: 'heading',
      enclosingSymbol: 'Nellie',
      startLine: 5,
    });
    expect(install.content).toContain('# not a heading');
    expect(find(chunks, 'not a heading')).toBeUndefined();
    expect(find(chunks, 'Usage')).toMatchObject({ startLine: 14, enclosingSymbol: 'Nellie' });
  });

  it('uses overlapping line windows within budget for unknown text', async () => {
    const content = Array.from(
      { length: 200 },
      (_, index) => `setting_${index} = value number ${index}`,
    ).join('\n');
    const chunks = await chunkFile({ path: 'config/app.conf', content, maxTokens: 96 });
    expect(chunks.length).toBeGreaterThan(5);
    expectValidChunks('config/app.conf', content, chunks, 96);
    expect(chunks[0]!.language).toBeNull();
    // Consecutive windows overlap, and together they cover every line.
    expect(chunks[1]!.startLine).toBeLessThanOrEqual(chunks[0]!.endLine);
    expect(chunks[0]!.startLine).toBe(1);
    expect(chunks.at(-1)!.endLine).toBe(200);
    for (let index = 1; index < chunks.length; index += 1) {
      expect(chunks[index]!.startLine).toBeLessThanOrEqual(chunks[index - 1]!.endLine + 1);
    }
  });

  it('returns no chunks for an empty or blank file', async () => {
    expect(await chunkFile({ path: 'empty.ts', content: '' })).toEqual([]);
    expect(await chunkFile({ path: 'blank.md', content: '\n\n  \n' })).toEqual([]);
  });

  it('rejects a budget too small to hold any code', async () => {
    await expect(chunkFile({ path: 'a.ts', content: 'x', maxTokens: 8 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
