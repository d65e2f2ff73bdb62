// Copies the page's HTML, CSS and icon beside the client modules that tsc writes to
// dist/dashboard-lite/page/, because tsc copies only what it compiles. Part of `npm run build`.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const source = new URL('./page/', import.meta.url);
const target = new URL('../dist/dashboard-lite/page/', import.meta.url);

mkdirSync(target, { recursive: true });
for (const name of readdirSync(source)) {
  if (['.html', '.css', '.svg'].some((extension) => name.endsWith(extension))) copyFileSync(new URL(name, source), new URL(name, target));
}
