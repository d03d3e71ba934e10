import { noopLogger, type ChunkInput } from '@nellie/core';
import { describe, expect, it } from 'vitest';
import { chunkFile } from './chunk.ts';
import { loadParser } from './internal/grammars.ts';

/** Characters as the chunk budget counts them: indentation not counted, one per line break. */
function chunkSize(content: string): number {
  return content.split('\n').reduce((total, line) => total + line.trim().length + 1, 0);
}

/**
 * Every chunk holds exact source lines and fits the budget; a fragment joined to a neighbour may
 * take the chunk up to a quarter over it.
 */
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
    expect(chunkSize(chunk.content), `${path}:${chunk.startLine}`).toBeLessThanOrEqual(
      budget * 1.25,
    );
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
  elixir: {
    path: 'lib/shop/cart.ex',
    content: `defmodule Shop.Cart do
  @moduledoc "A shopping cart kept as a map of item ids to items."

  @doc "Adds an item to the cart, or bumps its quantity."
  def add_item(cart, item) do
    Map.update(cart, item.id, item, fn existing -> %{existing | qty: existing.qty + 1} end)
  end

  defp total(cart) when is_map(cart) do
    cart |> Map.values() |> Enum.map(fn item -> item.price * item.qty end) |> Enum.sum()
  end
end
`,
    expect: [
      ['add_item', 'function', 'Shop.Cart'],
      ['total', 'function', 'Shop.Cart'],
    ],
  },
  haskell: {
    path: 'src/Shapes.hs',
    content: `module Shapes where

-- | A shape on the plane, measured in metres.
data Shape = Circle Double | Square Double | Rectangle Double Double

-- | Total area of many shapes, in square metres.
totalArea :: [Shape] -> Double
totalArea shapes = sum (map area shapes)

area :: Shape -> Double
area (Circle radius) = pi * radius * radius
area (Square side) = side * side
area (Rectangle width height) = width * height
`,
    expect: [
      ['Shape', 'type', null],
      ['totalArea', 'function', null],
      ['area', 'function', null],
    ],
  },
  kotlin: {
    path: 'src/main/kotlin/shop/Cart.kt',
    content: `package shop

/** A cart of items with a running total. */
class Cart(private val items: MutableList<Item> = mutableListOf()) {
    fun add(item: Item) {
        require(item.price >= 0) { "price must not be negative" }
        items.add(item)
    }
}

object Registry {
    fun lookup(id: String): Item? = catalogue.firstOrNull { it.id == id }
}

fun formatPrice(value: Double): String = "%.2f EUR".format(value)
`,
    expect: [
      ['add', 'method', 'Cart'],
      ['Registry', 'object', null],
      ['formatPrice', 'function', null],
    ],
  },
  lua: {
    path: 'lua/shop/cart.lua',
    content: `local M = {}

--- Adds an item to the cart and returns the new count.
function M.add(cart, item)
  table.insert(cart.items, item)
  return #cart.items
end

local function price_of(item)
  return item.price * (item.quantity or 1)
end

M.on_change = function(cart, callback)
  cart.listeners[#cart.listeners + 1] = callback
end

return M
`,
    expect: [
      ['add', 'method', 'M'],
      ['price_of', 'function', null],
      ['on_change', 'method', 'M'],
    ],
  },
  scala: {
    path: 'src/main/scala/shop/Cart.scala',
    content: `package shop

/** A shopping cart. */
class Cart(items: List[Item]) {
  def total: Double = items.map(item => item.price * item.quantity).sum
}

object Cart {
  def empty: Cart = new Cart(Nil)
}

trait Pricing {
  def price(item: Item, customer: Customer): BigDecimal
}
`,
    expect: [
      ['total', 'method', 'Cart'],
      ['Cart', 'object', null],
      ['Pricing', 'trait', null],
    ],
  },
  swift: {
    path: 'Sources/Shop/Cart.swift',
    content: `import Foundation

/// A shopping cart.
struct Cart {
    var items: [Item] = []

    mutating func add(_ item: Item) {
        items.append(item)
    }
}

extension Cart {
    var total: Double { items.reduce(0) { $0 + $1.price * Double($1.quantity) } }
}

func formatPrice(_ value: Double) -> String {
    String(format: "%.2f EUR", value)
}
`,
    expect: [
      ['Cart', 'struct', null],
      ['Cart', 'extension', null],
      ['formatPrice', 'function', null],
    ],
  },
  zig: {
    path: 'src/point.zig',
    content: `const std = @import("std");

/// A point on the integer grid.
pub const Point = struct {
    x: i32,
    y: i32,

    pub fn add(self: Point, other: Point) Point {
        return .{ .x = self.x + other.x, .y = self.y + other.y };
    }
};

fn manhattan(a: Point, b: Point) u32 {
    return @abs(a.x - b.x) + @abs(a.y - b.y);
}

test "add sums both coordinates" {
    try std.testing.expectEqual(Point{ .x = 3, .y = 5 }, (Point{ .x = 1, .y = 2 }).add(.{ .x = 2, .y = 3 }));
}
`,
    expect: [
      ['add', 'method', 'Point'],
      ['manhattan', 'function', null],
      ['add sums both coordinates', 'test', null],
    ],
  },
};

describe('chunkFile with tree-sitter grammars', () => {
  it.each(Object.entries(samples))('chunks %s at definitions', async (_language, sample) => {
    const budget = 100;
    const chunks = await chunkFile({
      path: sample.path,
      content: sample.content,
      maxChars: budget,
    });
    expectValidChunks(sample.path, sample.content, chunks, budget);
    for (const [name, kind, enclosing] of sample.expect) {
      const chunk = chunks.find(
        (candidate) =>
          candidate.symbolName === name &&
          candidate.symbolKind === kind &&
          candidate.enclosingSymbol === enclosing,
      );
      expect(chunk, `a ${kind} chunk for ${enclosing ?? ''}.${name}`).toBeDefined();
      expect(chunk!.language).toBe(_language === 'tsx' ? 'typescript' : _language);
    }
  });

  it('records exact 1-based line ranges for a method', async () => {
    const chunks = await chunkFile({
      path: 'src/user-service.ts',
      content: typescript,
      maxChars: 400,
    });
    const chunk = find(chunks, 'deleteUser')!;
    expect(chunk.startLine).toBe(17);
    // The method ends on line 21; the class's closing brace and the one-line function after the
    // class join it rather than standing alone as fragments.
    expect(chunk.endLine).toBe(24);
    expect(chunk.content).toContain('export const formatName');
    expect(chunk.content.split('\n')[0]).toBe('  async deleteUser(id: string): Promise<void> {');
  });

  it('keeps a small file whole and merges tiny definitions', async () => {
    const content =
      'export const a = 1;\nexport function b() { return a; }\nexport function c() { return b(); }\n';
    const chunks = await chunkFile({ path: 'small.ts', content });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ startLine: 1, endLine: 3, content: content.trimEnd() });
    // Named after the largest of the merged definitions.
    expect(chunks[0]).toMatchObject({ symbolName: 'c', symbolKind: 'block' });
  });

  it('splits a definition larger than the budget into parts that all fit', async () => {
    const body = Array.from(
      { length: 120 },
      (_, index) => `  total += computeWeightedScore(items[${index}], weights.primary, options);`,
    ).join('\n');
    const content = `export function scoreEverything(items: Item[], weights: Weights) {\n  let total = 0;\n${body}\n  return total;\n}\n`;
    const chunks = await chunkFile({ path: 'src/score.ts', content, maxChars: 800 });
    expect(chunks.length).toBeGreaterThan(3);
    expectValidChunks('src/score.ts', content, chunks, 800);
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
    const chunks = await chunkFile({ path: 'src/zone.ts', content, maxChars: 400 });
    expect(chunks.length).toBeGreaterThan(2);
    expectValidChunks('src/zone.ts', content, chunks, 400);
    for (const chunk of chunks) expect(chunk.symbolName).toBe('convertZone');
  });

  it('keeps a doc comment separated by one blank line with the function it documents', async () => {
    const filler = Array.from(
      { length: 30 },
      (_, index) =>
        `function helper${index}(value) {\n  return transform${index}(value, options${index});\n}\n`,
    ).join('\n');
    const content = `${filler}\n/**\n * Stringify JSON and escape characters that trigger HTML sniffing.\n */\n\nfunction stringify(value) {\n  return JSON.stringify(value).replace(/[<>&]/g, escapeChar);\n}\n`;
    const chunks = await chunkFile({ path: 'lib/response.js', content, maxChars: 400 });
    expectValidChunks('lib/response.js', content, chunks, 400);
    const documented = chunks.find((chunk) => chunk.content.includes('HTML sniffing'));
    expect(documented?.symbolName).toBe('stringify');
    expect(documented?.content).toContain('function stringify(value)');
  });

  it('cuts an over-long single line into pieces of that line', async () => {
    const line = `const table = [${Array.from({ length: 400 }, (_, index) => `'entry${index}'`).join(', ')}];`;
    const chunks = await chunkFile({ path: 'table.ts', content: `${line}\n`, maxChars: 400 });
    expect(chunks.length).toBeGreaterThan(5);
    expectValidChunks('table.ts', line, chunks, 400);
    expect(chunks.map((chunk) => chunk.content).join('')).toBe(line);
  });

  it('never cuts an over-long line inside a character outside the BMP', async () => {
    const line = `const faces = '${'😀'.repeat(300)}';`;
    const chunks = await chunkFile({ path: 'faces.ts', content: `${line}\n`, maxChars: 100 });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((chunk) => chunk.content).join('')).toBe(line);
    for (const chunk of chunks) expect(chunk.content).not.toMatch(/[\ud800-\udbff]$/u);
  });

  it('falls back to line windows when parsing needs more steps than allowed', async () => {
    const chunks = await chunkFile({
      path: 'src/user-service.ts',
      content: typescript,
      maxChars: 160,
      maxParseSteps: 0,
    });
    expectValidChunks('src/user-service.ts', typescript, chunks, 160);
    expect(chunks.every((chunk) => chunk.symbolName === null)).toBe(true);

    // The cancelled parse does not leak into the next file the same parser reads.
    const next = await chunkFile({ path: 'src/other.ts', content: typescript, maxChars: 160 });
    expect(find(next, 'deleteUser')).toBeDefined();
  });

  describe('parse work bound', () => {
    // Large enough to take a few dozen parser steps.
    const services = Array.from(
      { length: 120 },
      (_, index) =>
        `export class Service${index} {\n  run(input: number): number {\n` +
        `    const doubled = input * ${index} + this.offset;\n    return doubled > 10 ? doubled : -doubled;\n` +
        `  }\n  private offset = ${index};\n}\n`,
    ).join('\n');

    async function stepsToParse(content: string): Promise<number> {
      const parser = await loadParser('typescript');
      let steps = 0;
      const tree = parser.parse(content, null, { progressCallback: () => void (steps += 1) });
      tree?.delete();
      return steps;
    }

    it('parses a file whose parse takes exactly the allowed steps, and not one step fewer', async () => {
      const steps = await stepsToParse(services);
      expect(steps).toBeGreaterThan(5);

      const parsed = await chunkFile({
        path: 'src/services.ts',
        content: services,
        maxParseSteps: steps,
      });
      expect(find(parsed, 'Service7')).toBeDefined();
      const windows = await chunkFile({
        path: 'src/services.ts',
        content: services,
        maxParseSteps: steps - 1,
      });
      expect(windows.every((chunk) => chunk.symbolName === null)).toBe(true);
    });

    it('counts the same steps for a file whatever the parser read before', async () => {
      const steps = await stepsToParse(services);
      const first = await chunkFile({
        path: 'src/services.ts',
        content: services,
        maxParseSteps: steps,
      });
      // Another file, a parse cancelled half-way, then the same file again.
      await chunkFile({ path: 'src/user-service.ts', content: typescript });
      await chunkFile({ path: 'src/services.ts', content: services, maxParseSteps: 3 });
      expect(await stepsToParse(services)).toBe(steps);
      const again = await chunkFile({
        path: 'src/services.ts',
        content: services,
        maxParseSteps: steps,
      });
      expect(again).toEqual(first);
    });

    it('rejects a negative or fractional step bound', async () => {
      for (const maxParseSteps of [-1, 1.5]) {
        await expect(
          chunkFile({ path: 'src/services.ts', content: services, maxParseSteps }),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
    });
  });

  it('keeps a whole function in one chunk at the default budget', async () => {
    const body = Array.from(
      { length: 24 },
      (_, index) => `  const step${index} = normalise(input.values[${index}], options);`,
    ).join('\n');
    const content = `import { normalise } from './normalise';\n\nexport function toFormData(input: Input, options: Options): FormData {\n${body}\n  return collect(input);\n}\n`;
    const chunks = await chunkFile({ path: 'src/form-data.ts', content });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ startLine: 1, endLine: 29, symbolName: 'toFormData' });
  });

  it('joins fragments to a neighbour so no chunk is under four lines', async () => {
    const method = (name: string): string =>
      [
        `    def ${name}(self, request):`,
        ...Array.from(
          { length: 12 },
          (_, index) => `        value${index} = self.lookup_${name}(request, ${index})`,
        ),
        `        return value0`,
      ].join('\n');
    const content = [
      'import os',
      '',
      'class Handler:',
      method('get'),
      '',
      '    retries = 3',
      '',
      method('post'),
      '',
      'handler = Handler()',
      '',
    ].join('\n');
    const chunks = await chunkFile({ path: 'app/handler.py', content, maxChars: 600 });
    expect(chunks.length).toBeGreaterThan(1);
    expectValidChunks('app/handler.py', content, chunks, 600);
    for (const chunk of chunks) {
      const filled = chunk.content.split('\n').filter((line) => line.trim() !== '');
      expect(filled.length, `lines ${chunk.startLine}-${chunk.endLine}`).toBeGreaterThanOrEqual(4);
    }
    expect(chunks.some((chunk) => chunk.content.includes('retries = 3'))).toBe(true);
    expect(chunks.some((chunk) => chunk.content.includes('handler = Handler()'))).toBe(true);
    expect(find(chunks, 'get')).toBeDefined();
    expect(find(chunks, 'post')).toBeDefined();
  });

  it('keeps the signature and equations of a Haskell function together', async () => {
    const content = `module Geometry where

scale :: Double -> Shape -> Shape
scale factor (Circle radius) = Circle (factor * radius * unitScaleForCircles)
scale factor (Square side) = Square (factor * side * unitScaleForSquaresToo)

area :: Shape -> Double
area (Circle radius) = pi * radius * radius * unitScaleForCirclesAgain
area (Square side) = side * side * unitScaleForSquaresAgainAndAgain
`;
    const chunks = await chunkFile({ path: 'src/Geometry.hs', content, maxChars: 240 });
    expectValidChunks('src/Geometry.hs', content, chunks, 240);
    expect(find(chunks, 'scale')).toMatchObject({ startLine: 1, endLine: 5 });
    expect(find(chunks, 'area')).toMatchObject({ startLine: 7, endLine: 9 });
  });

  it('names a chunk of several small definitions after the largest', async () => {
    const lines = Array.from({ length: 25 }, (_, index) => `  , "option-${index}: the help text"`);
    const content = `module Options where

optError :: Text -> Opt
optError = throwError . OptError

optInfo :: OptInfo -> Opt
optInfo = throwError

usageMessage :: String -> String
usageMessage programName = usageInfo (programName ++ " [OPTIONS] [FILES]")

helpText :: Text
helpText = T.unlines
  [ "usage"
${lines.join('\n')}
  ]

moreHelp :: Text
moreHelp = T.unlines
  [ "more"
${lines.join('\n')}
  ]
`;
    const chunks = await chunkFile({ path: 'src/Options.hs', content });
    expectValidChunks('src/Options.hs', content, chunks, 1500);
    expect(chunks[0]).toMatchObject({
      startLine: 1,
      endLine: 12,
      symbolName: 'usageMessage',
      symbolKind: 'block',
    });
    expect(find(chunks, 'helpText')).toMatchObject({ startLine: 13 });
  });

  it('joins a module header line to the first window of a documentation block over budget', async () => {
    const doc = Array.from(
      { length: 30 },
      (_, index) => `  Line ${index} of the guide to configuring connection pools.`,
    ).join('\n');
    const content = `defmodule Pool.Config do\n  @moduledoc """\n${doc}\n  """\n\n  def size(config), do: Keyword.get(config, :size, 10) + Keyword.get(config, :overflow, 0)\nend\n`;
    const chunks = await chunkFile({ path: 'lib/pool/config.ex', content, maxChars: 400 });
    expect(chunks.length).toBeGreaterThan(2);
    expectValidChunks('lib/pool/config.ex', content, chunks, 400);
    expect(chunks[0]!.startLine).toBe(1);
    expect(chunks[0]!.content).toContain('Line 0 of the guide');
  });

  it('keeps an Elixir @doc with the function it documents', async () => {
    const content = `defmodule Shop.Cart do
  @doc "Removes every item whose quantity dropped to zero after checkout."
  def prune(cart) do
    cart |> Enum.reject(fn {_id, item} -> item.qty == 0 end) |> Map.new()
  end

  def empty?(cart), do: map_size(cart) == 0 and Map.get(cart, :pending, []) == []
end
`;
    const chunks = await chunkFile({ path: 'lib/shop/cart.ex', content, maxChars: 240 });
    expectValidChunks('lib/shop/cart.ex', content, chunks, 240);
    const prune = find(chunks, 'prune')!;
    expect(prune.content).toContain('@doc "Removes every item');
    expect(prune.content).toContain('def prune(cart) do');
    expect(prune).toMatchObject({ symbolKind: 'function', enclosingSymbol: 'Shop.Cart' });
  });

  it('parses a C++ header with the C++ grammar, naming its classes', async () => {
    const content = [
      '#include <string>',
      '',
      'namespace geo {',
      '',
      'class Shape {',
      ' public:',
      '  virtual ~Shape() = default;',
      '  virtual double Area() const = 0;',
      '  std::string name;',
      '};',
      '',
      'template <typename T>',
      'class Box : public Shape {',
      ' public:',
      '  double Area() const override { return width * height; }',
      '  T width;',
      '  T height;',
      '};',
      '',
      '}  // namespace geo',
    ].join('\n');
    const chunks = await chunkFile({ path: 'geo/shape.h', content, maxChars: 200 });
    expect(chunks.map((chunk) => chunk.symbolName)).toEqual(
      expect.arrayContaining(['Shape', 'Box']),
    );
    expect(chunks.every((chunk) => chunk.language === 'cpp')).toBe(true);
  });

  it('chunks a file whose parse ends in a missing closing brace at its end', async () => {
    // Error recovery inserts a zero-width `}` after the final line break: a row past the last line.
    const methods = Array.from(
      { length: 6 },
      (_, index) =>
        `  func step${index}(value: Int) -> Int {\n    return value * ${index} + 1\n  }\n`,
    ).join('\n');
    const content = `struct Pipeline {\n${methods}`;
    const warnings: string[] = [];
    const chunks = await chunkFile({
      path: 'Sources/Pipeline.swift',
      content,
      maxChars: 200,
      logger: {
        ...noopLogger,
        warn: (_fields: unknown, message: string) => warnings.push(message),
      },
    });
    expect(warnings).toEqual([]);
    expectValidChunks('Sources/Pipeline.swift', content, chunks, 200);
    expect(find(chunks, 'step5')).toMatchObject({
      symbolKind: 'method',
      enclosingSymbol: 'Pipeline',
    });
    expect(chunks.at(-1)!.endLine).toBe(content.split('\n').length - 1);
  });

  it('handles CRLF line endings with exact lines', async () => {
    const content = 'def a():\r\n    return 1\r\n\r\ndef b():\r\n    return 2\r\n';
    const chunks = await chunkFile({ path: 'crlf.py', content, maxChars: 800 });
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
    const chunks = await chunkFile({ path: 'README.md', content, maxChars: 400 });
    expectValidChunks('README.md', content, chunks, 400);
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
    const chunks = await chunkFile({ path: 'config/app.conf', content, maxChars: 300 });
    expect(chunks.length).toBeGreaterThan(5);
    expectValidChunks('config/app.conf', content, chunks, 300);
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
    await expect(chunkFile({ path: 'a.ts', content: 'x', maxChars: 10 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      chunkFile({ path: 'a.ts', content: 'x', maxChars: 1_000_000 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
