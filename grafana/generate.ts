/**
 * Writes the dashboards and alert rules that grafana/*.ts describe into grafana/provisioning/.
 * Run with `npm run grafana:generate` and commit the output; a test compares the two.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './generated-files.js';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

for (const [relativePath, content] of generatedFiles()) {
  const path = join(repositoryRoot, relativePath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  console.log(`wrote ${relativePath}`);
}
