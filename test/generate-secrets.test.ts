/**
 * Runs docker/generate-secrets.sh with /bin/sh on a temporary directory, as the secrets-init
 * compose service runs it, with the files handed to the current user instead of uid 1000.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = new URL('../docker/generate-secrets.sh', import.meta.url).pathname;
const OWNER = `${process.getuid!()}:${process.getgid!()}`;

async function generate(directory: string, adminPassword?: string): Promise<string> {
  const env = { PATH: process.env.PATH, SECRETS_OWNER: OWNER, ...(adminPassword === undefined ? {} : { GRAFANA_ADMIN_PASSWORD: adminPassword }) };
  const { stdout } = await run('sh', [SCRIPT, directory], { env });
  return stdout;
}

describe('generate-secrets.sh', () => {
  let directory = '';

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes the given Grafana password once', async () => {
    directory = await mkdtemp(join(tmpdir(), 'hrv-secrets-'));

    const first = await generate(directory, 'chosen password 1');
    const second = await generate(directory, 'changed later');

    expect(await readFile(join(directory, 'grafana-admin-password'), 'utf8')).toBe('chosen password 1');
    expect(first).toContain('generate-secrets: wrote grafana-admin-password from the given value');
    expect(first).not.toContain('chosen password 1');
    expect(second).toContain('generate-secrets: kept existing grafana-admin-password');
  });

  it('generates a Grafana password when none is given', async () => {
    directory = await mkdtemp(join(tmpdir(), 'hrv-secrets-'));

    const output = await generate(directory, '');

    expect(await readFile(join(directory, 'grafana-admin-password'), 'utf8')).toMatch(/^[0-9a-f]{48}$/);
    expect(output).toContain('generate-secrets: generated grafana-admin-password (24 random bytes, hex)');
  });
});
