import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** File name of the generated password inside DASHBOARD_LITE_DATA_DIR. */
export const PASSWORD_FILE_NAME = 'dashboard-lite-password';

export interface StoredPassword {
  password: string;
  path: string;
  /** True when this call generated the password, false when it was read from an earlier start. */
  created: boolean;
}

/**
 * Returns the password kept in `dataDir`, generating it on the first call: 24 random bytes as
 * 32 base64url characters, written with mode 0600. The exclusive flag `wx` keeps a password that
 * another process wrote at the same moment.
 */
export async function loadOrCreatePassword(dataDir: string): Promise<StoredPassword> {
  const path = join(dataDir, PASSWORD_FILE_NAME);
  const existing = await readPasswordFile(path);
  if (existing !== undefined) return { password: existing, path, created: false };

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  try {
    await writeFile(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readPasswordFile(path);
    if (written === undefined) throw new Error(`the password file ${path} is empty: delete it and restart to generate a new password`);
    return { password: written, path, created: false };
  }
  return { password, path, created: true };
}

async function readPasswordFile(path: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }

  const password = content.trim();
  if (password === '') throw new Error(`the password file ${path} is empty: delete it and restart to generate a new password`);
  return password;
}
