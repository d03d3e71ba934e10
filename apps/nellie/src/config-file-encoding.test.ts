import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from './config.ts';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'nellie-config-encoding-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function resolveWith(bytes: Buffer) {
  const file = path.join(root, 'config.json');
  writeFileSync(file, bytes);
  return resolveConfig({ cwd: root, homeDir: path.join(root, 'home'), flags: { config: file } });
}

describe('config file encoding', () => {
  it('accepts UTF-8 with a byte order mark, as Windows editors save it', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const config = resolveWith(Buffer.concat([bom, Buffer.from('{"port": 8123}')]));
    expect(config.settings.port).toBe(8123);
  });

  it('still rejects a byte order mark followed by malformed JSON', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(() => resolveWith(Buffer.concat([bom, Buffer.from('{"port": 8123,')]))).toThrow(
      /is not valid JSON/,
    );
  });
});
