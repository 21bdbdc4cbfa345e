// A fresh directory per test: removed when the test passed, kept (and its path printed) when it
// failed so it can be inspected. CAIRN_KEEP_TEST_DIRS=1 keeps every directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export async function tempDir(t: TestContext, prefix = 'cairn-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(async () => {
    // `passed` exists at runtime on Node 24 but is missing from @types/node's TestContext.
    const passed = (t as TestContext & { passed?: boolean }).passed ?? true;
    if (!passed || process.env.CAIRN_KEEP_TEST_DIRS) {
      t.diagnostic(`kept test directory ${dir}`);
      console.error(`kept test directory ${dir}`);
    } else {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return dir;
}
