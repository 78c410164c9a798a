import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every compiled test file of every project: `<project>/dist/test/**\/*.test.js`. */
function testFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.js')) files.push(path);
    }
  };
  for (const group of ['libs', 'services', '.']) {
    const groupDir = join(root, group);
    const projects = group === '.' ? ['e2e'] : readdirSync(groupDir);
    for (const project of projects) {
      const testDir = join(groupDir, project, 'dist', 'test');
      if (existsSync(testDir)) walk(testDir);
    }
  }
  return files.sort();
}

const root = join(__dirname, '..', '..', '..');
const files = testFiles(root);
const filter = process.argv[2];
const selected = filter ? files.filter((file) => file.includes(filter)) : files;
process.stdout.write(`running ${selected.length} test files${filter ? ` matching "${filter}"` : ''}\n`);
for (const file of selected) process.stdout.write(`  ${relative(root, file)}\n`);
if (!process.env.TEST_POSTGRES_DSN) {
  process.stdout.write(
    'TEST_POSTGRES_DSN is not set: the PostgreSQL variants will report themselves as skipped\n',
  );
}
// The timeout bounds each test file as a whole as well as each test: the compose rehearsal compiles the
// images' production dependencies on a cold cache (about two minutes) before it starts its stacks.
const result = spawnSync(process.execPath, ['--test', '--test-timeout=600000', ...selected], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
