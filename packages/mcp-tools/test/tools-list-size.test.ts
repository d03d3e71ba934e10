import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '@nellie/test-utils';
import { connect, readyModel } from './support/harness.ts';

// Every agent reads tools/list at the start of every session, so its size is a cost paid on
// every conversation: the whole listing of its 20 tools stays under 15,600 bytes (15,000 held
// the 19 before confirm_checkpoint, about 540 bytes, was added).
describe('tools/list', () => {
  it('stays under 15,600 bytes as the SDK client receives it', async () => {
    const harness = await connect({
      store: createMemoryStore(),
      modelStatus: readyModel('Xenova/all-MiniLM-L6-v2', 384),
      version: '0.0.0',
    });
    try {
      const listing = await harness.client.listTools();
      const bytes = Buffer.byteLength(JSON.stringify(listing), 'utf8');
      expect(bytes).toBeLessThan(15_600);
      // One indexing tool with a mode replaces the four of 0.1.
      const names = listing.tools.map((tool) => tool.name);
      expect(names).toContain('index_repo');
      for (const old of ['trigger_reindex', 'diff_index', 'full_reindex']) {
        expect(names).not.toContain(old);
      }
    } finally {
      await harness.close();
    }
  });
});
