// Indexes a directory into a SQLite store, announcing progress on stdout. The test that spawns it
// kills it with SIGKILL in the middle of the job.
import { createSqliteStore } from '@nellie/storage';
import { createIndexer } from '../../src/index.ts';

const [root, database] = process.argv.slice(2);
if (!root || !database) throw new Error('usage: index-child <root> <database>');
const store = await createSqliteStore({ path: database });
const indexer = createIndexer({
  store,
  fileConcurrency: 1,
  onProgress: (job) => {
    process.stdout.write(`progress ${job.progress.filesIndexed}\n`);
  },
});
const job = await indexer.startJob({ rootPath: root });
await indexer.waitForJob(job.id);
process.stdout.write('done\n');
await indexer.close();
await store.close();
