import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '@nellie/core';
import type Database from 'better-sqlite3';
import { AnnIndex, type UsearchModule, type VectorCandidate } from './ann-index.ts';
import type { VectorIndexOptions } from './sqlite-store-options.ts';
import { kindChunk } from './schema.ts';

/** How vector queries are served. */
export interface VectorIndexStatus {
  /** `exact`: the store is small enough to scan; `ann`: an HNSW index serves queries. */
  mode: 'exact' | 'ann';
  /** Vectors in the ANN index. */
  indexed: number;
  /** Code vectors in SQLite not yet in the ANN index (an upper bound while catching up). */
  backlog: number;
}

interface IndexFileName {
  name: string;
  storeId: string;
  epoch: string;
  params: string;
  cursor: number;
  tombstoneCursor: number;
}

/**
 * An in-process HNSW index (usearch) over code vectors, kept in step with SQLite, which stays the
 * source of truth. Vector rows have ever-increasing ids and deletions leave tombstones, so before
 * each query the index adds rows newer than its cursor and drops tombstoned ids, whichever
 * process wrote them. Rows it has not absorbed yet are scanned exactly.
 */
export class VectorIndex {
  readonly #db: Database.Database;
  readonly #file: string | null;
  readonly #dimensions: number;
  readonly #options: VectorIndexOptions;
  readonly #logger: Logger;
  readonly #readonly: boolean;
  readonly #usearch: UsearchModule;
  readonly #statements;

  #index: AnnIndex | null = null;
  #epoch = '';
  #cursor = 0;
  #tombstoneCursor = 0;
  #dirty = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(init: {
    db: Database.Database;
    file: string | null;
    dimensions: number;
    options: VectorIndexOptions;
    logger: Logger;
    readonly: boolean;
    usearch: UsearchModule;
  }) {
    this.#db = init.db;
    this.#file = init.file;
    this.#dimensions = init.dimensions;
    this.#options = init.options;
    this.#logger = init.logger;
    this.#readonly = init.readonly;
    this.#usearch = init.usearch;
    const db = this.#db;
    this.#statements = {
      epoch: db.prepare(`SELECT value FROM meta WHERE key = 'vector_epoch'`).pluck(),
      storeId: db.prepare(`SELECT value FROM meta WHERE key = 'store_id'`).pluck(),
      sequence: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'embeddings'`).pluck(),
      countUpTo: db
        .prepare(
          `SELECT count(*) FROM (SELECT 1 FROM embeddings WHERE kind = ${kindChunk} LIMIT ?)`,
        )
        .pluck(),
      backlogUpTo: db
        .prepare(
          `SELECT count(*) FROM (SELECT 1 FROM embeddings WHERE id > ? AND kind = ${kindChunk} LIMIT ?)`,
        )
        .pluck(),
      newRows: db
        .prepare(
          `SELECT id, vector FROM embeddings WHERE id > ? AND kind = ${kindChunk} ORDER BY id LIMIT ?`,
        )
        .raw(),
      tombstones: db
        .prepare(
          `SELECT seq, embedding_id FROM embedding_tombstones WHERE seq > ? ORDER BY seq LIMIT 10000`,
        )
        .raw(),
      maxTombstone: db.prepare(`SELECT coalesce(max(seq), 0) FROM embedding_tombstones`).pluck(),
      tailScan: db
        .prepare(
          `SELECT id, vec_distance_cosine(vector, ?) AS distance FROM embeddings
           WHERE id > ? AND kind = ${kindChunk} ORDER BY distance LIMIT ?`,
        )
        .raw(),
    };
  }

  /** True when an ANN index serves (or is being built to serve) queries. */
  get active(): boolean {
    return this.#index !== null;
  }

  status(): VectorIndexStatus {
    this.#refresh();
    return this.#currentStatus();
  }

  #currentStatus(): VectorIndexStatus {
    const backlog = this.#index
      ? (this.#statements.backlogUpTo.get(this.#cursor, 10_000_000) as number)
      : 0;
    return {
      mode: this.#index ? 'ann' : 'exact',
      indexed: this.#index?.size() ?? 0,
      backlog,
    };
  }

  /**
   * Brings the index up to date with SQLite within a budget. Activates the index when the store
   * has reached the exact-search threshold. Returns true when nothing is left to add.
   */
  #refresh(maxAdds = this.#options.catchUpBatch): boolean {
    const epoch = this.#statements.epoch.get() as string | undefined;
    if (this.#index && epoch !== this.#epoch) {
      // Vectors were reset (e.g. for another model): start over.
      this.#index = null;
      this.#dirty = false;
    }
    if (!this.#index) {
      const sequence = (this.#statements.sequence.get() as number | undefined) ?? 0;
      const threshold = this.#options.exactThreshold;
      if (sequence < threshold) return true;
      const count = this.#statements.countUpTo.get(threshold) as number;
      if (count < threshold) return true;
      this.#activate(epoch ?? '', sequence);
    }
    this.#applyTombstones();
    return this.#addNewRows(maxAdds);
  }

  #newIndex(): AnnIndex {
    return new AnnIndex(this.#usearch, this.#dimensions, this.#options);
  }

  #paramsSignature(): string {
    const options = this.#options;
    return `${this.#dimensions}d${options.quantization}m${options.connectivity}e${options.expansionAdd}`;
  }

  #filePrefix(): string | null {
    return this.#file ? `${basename(this.#file)}-hnsw-` : null;
  }

  #listIndexFiles(): IndexFileName[] {
    const prefix = this.#filePrefix();
    if (!prefix || !this.#file) return [];
    let names: string[];
    try {
      names = readdirSync(dirname(this.#file));
    } catch {
      return [];
    }
    const result: IndexFileName[] = [];
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.usearch')) continue;
      const parts = name.slice(prefix.length, -'.usearch'.length).split('_');
      if (parts.length !== 5) continue;
      const [storeId, epoch, params, cursor, tombstoneCursor] = parts as [
        string,
        string,
        string,
        string,
        string,
      ];
      result.push({
        name,
        storeId,
        epoch,
        params,
        cursor: Number(cursor),
        tombstoneCursor: Number(tombstoneCursor),
      });
    }
    return result;
  }

  #activate(epoch: string, sequence: number): void {
    this.#epoch = epoch;
    this.#cursor = 0;
    this.#tombstoneCursor = this.#statements.maxTombstone.get() as number;
    this.#dirty = false;
    const storeId = shortId(this.#statements.storeId.get() as string | undefined);
    const candidates = this.#listIndexFiles()
      .filter(
        (entry) =>
          entry.storeId === storeId &&
          entry.epoch === shortId(epoch) &&
          entry.params === this.#paramsSignature() &&
          entry.cursor <= sequence,
      )
      .sort((a, b) => b.cursor - a.cursor);
    for (const candidate of candidates) {
      const index = this.#newIndex();
      try {
        index.load(join(dirname(this.#file!), candidate.name));
        this.#index = index;
        this.#cursor = candidate.cursor;
        this.#tombstoneCursor = candidate.tombstoneCursor;
        return;
      } catch (error) {
        this.#logger.warn(
          { file: candidate.name, error: String(error) },
          'Ignoring an unreadable vector index file; it will be rebuilt from the database',
        );
      }
    }
    this.#index = this.#newIndex();
  }

  #applyTombstones(): void {
    const index = this.#index!;
    for (;;) {
      const rows = this.#statements.tombstones.all(this.#tombstoneCursor) as [number, number][];
      if (rows.length === 0) return;
      index.remove(rows.map((row) => row[1]));
      this.#tombstoneCursor = rows.at(-1)![0];
      this.#dirty = true;
    }
  }

  #addNewRows(maxAdds: number): boolean {
    const index = this.#index!;
    let remaining = maxAdds;
    while (remaining > 0) {
      const batch = Math.min(remaining, 4096);
      const rows = this.#statements.newRows.all(this.#cursor, batch) as [number, Buffer][];
      if (rows.length === 0) return true;
      const ids: number[] = [];
      const vectors = new Float32Array(rows.length * this.#dimensions);
      for (const [id, blob] of rows) {
        if (blob.byteLength !== this.#dimensions * 4) continue;
        vectors.set(
          new Float32Array(blob.buffer, blob.byteOffset, this.#dimensions),
          ids.length * this.#dimensions,
        );
        ids.push(id);
      }
      if (index.add(ids, vectors.subarray(0, ids.length * this.#dimensions)) > 0) {
        this.#dirty = true;
      }
      this.#cursor = rows.at(-1)![0];
      remaining -= rows.length;
      if (rows.length < batch) return true;
    }
    return false;
  }

  /**
   * Nearest code vectors to `query`: `null` when the store is small enough that callers should
   * scan exactly. Includes rows newer than the index via an exact scan of the tail.
   */
  search(query: Float32Array, k: number): VectorCandidate[] | null {
    const caughtUp = this.#refresh();
    const index = this.#index;
    if (!index) return null;
    if (!caughtUp) this.scheduleCatchUp();
    const results = new Map<number, number>();
    for (const { id, distance } of index.search(query, k)) results.set(id, distance);
    if (!caughtUp) {
      for (const [id, distance] of this.#statements.tailScan.all(query, this.#cursor, k) as [
        number,
        number,
      ][]) {
        results.set(id, distance);
      }
    }
    return [...results]
      .map(([id, distance]) => ({ id, distance }))
      .sort((a, b) => a.distance - b.distance);
  }

  /** The number of code vectors the index holds (0 when inactive). */
  size(): number {
    return this.#index?.size() ?? 0;
  }

  /** Called after this process wrote or deleted vectors. */
  notifyWrite(): void {
    if (this.#index) this.scheduleCatchUp();
    else if (!this.#closed) {
      // The store may just have crossed the exact-search threshold.
      this.scheduleCatchUp();
    }
  }

  scheduleCatchUp(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#closed) return;
      try {
        const done = this.#refresh(this.#index?.stepSize() ?? this.#options.catchUpBatch);
        if (!done) this.scheduleCatchUp();
      } catch (error) {
        this.#logger.warn(
          { error: String(error) },
          'Vector index catch-up failed; will retry on the next query',
        );
      }
    }, 0);
    this.#timer.unref();
  }

  /**
   * Adds every pending vector now (used by maintenance, benchmarks and tests), or at most
   * `maxVectors` of them, so a long build can be saved in steps and resumed.
   */
  syncAll(maxVectors = Number.POSITIVE_INFINITY): VectorIndexStatus {
    for (let remaining = maxVectors; remaining > 0; remaining -= 100_000) {
      if (this.#refresh(Math.min(remaining, 100_000))) break;
    }
    return this.#currentStatus();
  }

  /** Writes the index next to the database when it changed; older index files are removed. */
  save(): void {
    const index = this.#index;
    const prefix = this.#filePrefix();
    if (
      !index ||
      !this.#dirty ||
      !prefix ||
      !this.#file ||
      this.#readonly ||
      !this.#options.persist
    ) {
      return;
    }
    const directory = dirname(this.#file);
    const storeId = shortId(this.#statements.storeId.get() as string | undefined);
    const name = `${prefix}${storeId}_${shortId(this.#epoch)}_${this.#paramsSignature()}_${this.#cursor}_${this.#tombstoneCursor}.usearch`;
    const temporary = join(
      directory,
      `${name}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
    );
    try {
      index.save(temporary);
      renameSync(temporary, join(directory, name));
      this.#dirty = false;
    } catch (error) {
      rmSync(temporary, { force: true });
      this.#logger.warn(
        { error: String(error) },
        'Could not save the vector index; it will be rebuilt on next open',
      );
      return;
    }
    for (const entry of this.#listIndexFiles()) {
      const stale =
        entry.storeId !== storeId ||
        entry.epoch !== shortId(this.#epoch) ||
        entry.params !== this.#paramsSignature() ||
        entry.cursor < this.#cursor;
      if (stale && entry.name !== name) rmSync(join(directory, entry.name), { force: true });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      this.save();
    } finally {
      this.#index = null;
    }
  }
}

function shortId(value: string | undefined): string {
  return (value ?? 'none').replaceAll('-', '').slice(0, 12);
}

/** Removes every saved ANN index file of a database. */
export function removeIndexFiles(file: string): void {
  const prefix = `${basename(file)}-hnsw-`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix)) rmSync(join(dirname(file), name), { force: true });
  }
}
