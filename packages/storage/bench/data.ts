import { readFileSync } from 'node:fs';
import { seededRandom } from '@nellie/core';

/**
 * Deterministic synthetic data for the storage benchmark: 384-d unit vectors drawn around a few
 * thousand cluster centres (as in the vector-search research notes: noise of norm ~0.35), and
 * random code-like text built from a Zipf-distributed vocabulary.
 */

export const dimensions = 384;
export const clusterCount = 2_000;
export const chunksPerFile = 20;
export const repositoryCount = 20;

/**
 * The language of file `file`: six in ten are TypeScript, two Python, one Go and one Rust, so a
 * language filter in the benchmark selects a tenth of the store (Go).
 */
export function fileLanguage(file: number): { language: string; extension: string } {
  const slot = file % 10;
  if (slot < 6) return { language: 'typescript', extension: 'ts' };
  if (slot < 8) return { language: 'python', extension: 'py' };
  return slot === 8 ? { language: 'go', extension: 'go' } : { language: 'rust', extension: 'rs' };
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let index = 0; index < vector.length; index += 1) vector[index]! /= norm;
  return vector;
}

export function clusterCentres(): Float32Array[] {
  const next = seededRandom(1234);
  return Array.from({ length: clusterCount }, () =>
    normalise(Float32Array.from({ length: dimensions }, () => gaussian(next))),
  );
}

/** Vector `index` of the data set (or of the query set with another seed), normalised. */
export function vectorAt(centres: Float32Array[], index: number, seed = 7): Float32Array {
  const next = seededRandom(seed * 1_000_003 + index);
  const centre = centres[Math.floor(next() * centres.length)]!;
  const scale = 0.35 / Math.sqrt(dimensions);
  const vector = new Float32Array(dimensions);
  for (let position = 0; position < dimensions; position += 1) {
    vector[position] = centre[position]! + scale * gaussian(next);
  }
  return normalise(vector);
}

const realWords = `get set user id name value data config parse load save read write file path
 list map item key index count size length type kind node tree child parent root cache store
 request response header body status error message event handler callback listener option
 default state update create delete remove insert find search query filter sort order limit
 page token auth session login logout password hash encode decode buffer stream chunk byte
 string number array object field property method class module package import export build
 render view template component style theme layout route router path url host port server
 client socket connect close open start stop init reset retry timeout delay queue job task
 worker thread pool lock mutex wait notify signal abort cancel resolve reject promise async
 sync batch merge split join format print log debug trace warn info level metric counter
 timer clock date time zone locale currency price amount total invoice order payment cart
 product customer account profile email phone address city country region tax discount
 validate check verify assert test mock spec fixture compare equal diff patch apply commit
 branch tag version release deploy config env flag feature toggle schema model table column
 row record entry field migrate seed backup restore snapshot archive compress extract zip`
  .split(/\s+/)
  .filter(Boolean);

/** Real programming words first (most frequent), then generated pseudo-words. */
export function vocabulary(size = 6_000): string[] {
  const next = seededRandom(99);
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ne',
    'tu',
    'ra',
    'si',
    'vo',
    'pe',
    'du',
    'gri',
    'sta',
    'bel',
    'nox',
    'qui',
    'zen',
    'tor',
    'fal',
    'mer',
    'cin',
  ];
  const words = new Set(realWords);
  while (words.size < size) {
    const count = 2 + Math.floor(next() * 2);
    let word = '';
    for (let index = 0; index < count; index += 1)
      word += syllables[Math.floor(next() * syllables.length)]!;
    words.add(word);
  }
  return [...words];
}

/** Zipf-like sampling: rank r is chosen with probability ∝ 1/(r+10). */
export function zipfSampler(size: number, next: () => number): () => number {
  const weights = Float64Array.from({ length: size }, (_, rank) => 1 / (rank + 10));
  const cumulative = new Float64Array(size);
  let total = 0;
  weights.forEach((weight, index) => {
    total += weight;
    cumulative[index] = total;
  });
  return () => {
    const target = next() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

export interface ChunkText {
  symbolName: string;
  content: string;
}

const capitalise = (word: string): string => word[0]!.toUpperCase() + word.slice(1);

export class CodeTextGenerator {
  readonly #words: string[];
  readonly #next: () => number;
  readonly #pick: () => number;

  constructor(seed: number, words = vocabulary()) {
    this.#words = words;
    this.#next = seededRandom(seed);
    this.#pick = zipfSampler(words.length, this.#next);
  }

  word(): string {
    return this.#words[this.#pick()]!;
  }

  identifier(parts = 1 + Math.floor(this.#next() * 3)): string {
    let name = this.word();
    for (let index = 1; index < parts; index += 1) name += capitalise(this.word());
    return name;
  }

  /** A function-sized chunk of TypeScript-like code; `marker` makes its content unique. */
  chunk(marker: number): ChunkText {
    const symbolName = this.identifier(2 + Math.floor(this.#next() * 2));
    const lines = [
      `// ${Array.from({ length: 4 + Math.floor(this.#next() * 6) }, () => this.word()).join(' ')}`,
      `export function ${symbolName}(${this.identifier()}: ${capitalise(this.identifier())}, ${this.identifier()}) {`,
    ];
    const bodyLines = 4 + Math.floor(this.#next() * 10);
    for (let index = 0; index < bodyLines; index += 1) {
      const shape = Math.floor(this.#next() * 5);
      if (shape === 0)
        lines.push(
          `  const ${this.identifier()} = ${this.identifier()}(${this.identifier()}, ${Math.floor(this.#next() * 1000)});`,
        );
      else if (shape === 1)
        lines.push(
          `  if (${this.identifier()}.${this.identifier()} > ${this.identifier()}) return ${this.identifier()};`,
        );
      else if (shape === 2)
        lines.push(
          `  await this.${this.identifier()}.${this.identifier()}({ ${this.word()}: ${this.identifier()} });`,
        );
      else if (shape === 3)
        lines.push(
          `  // ${Array.from({ length: 3 + Math.floor(this.#next() * 5) }, () => this.word()).join(' ')}`,
        );
      else
        lines.push(
          `  for (const ${this.word()} of ${this.identifier()}) ${this.identifier()}.push(${this.word()});`,
        );
    }
    lines.push(`  return ${this.identifier()}; // c${marker}`, '}');
    return { symbolName, content: lines.join('\n') };
  }

  /** A natural-language-like query of 2–4 words, or an identifier query. */
  query(kind: 'words' | 'identifier'): string {
    if (kind === 'identifier') return this.identifier(2 + Math.floor(this.#next() * 2));
    return Array.from({ length: 2 + Math.floor(this.#next() * 3) }, () => this.word()).join(' ');
  }
}

/** Percentile of sorted-ascending values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU used by other processes, in cores, between two samples (from /proc/stat). */
export function cpuSampler(): () => { otherCores: number; ownCores: number } {
  const read = (): { busy: number; wall: number; own: number } => {
    let busy = 0;
    try {
      const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
      const values = line!.trim().split(/\s+/).slice(1).map(Number);
      busy =
        values.reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0) /
        100;
    } catch {
      busy = Number.NaN;
    }
    const usage = process.cpuUsage();
    return { busy, wall: performance.now() / 1000, own: (usage.user + usage.system) / 1e6 };
  };
  const start = read();
  return () => {
    const end = read();
    const wall = end.wall - start.wall || 1;
    const own = end.own - start.own;
    return { otherCores: Math.max(0, (end.busy - start.busy - own) / wall), ownCores: own / wall };
  };
}
