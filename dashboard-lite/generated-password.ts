import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../receiver/environment.js';
import { MIN_PASSWORD_LENGTH } from './config.js';

/** File name of the generated password inside DASHBOARD_LITE_DATA_DIR. */
export const PASSWORD_FILE_NAME = 'dashboard-lite-password';

export interface StoredPassword {
  password: string;
  path: string;
  /** True when the file may be read by its group or by others (mode bits 0o077), so the password is exposed on the host. */
  readableByOthers: boolean;
}

/** Returns the path of the generated password inside `dataDir`. */
export function passwordFilePath(dataDir: string): string {
  return join(dataDir, PASSWORD_FILE_NAME);
}

/**
 * Reads the password kept in `dataDir` by an earlier start, or returns undefined when there is
 * none. Throws ConfigError when the file is empty or shorter than DASHBOARD_LITE_PASSWORD may be,
 * because someone edited it by hand and a short password can be guessed.
 */
export async function readStoredPassword(dataDir: string): Promise<StoredPassword | undefined> {
  const path = passwordFilePath(dataDir);
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }

  const password = content.trim();
  if (password.length < MIN_PASSWORD_LENGTH) {
    const problem = `the password file ${path} holds ${password.length} characters, fewer than ${MIN_PASSWORD_LENGTH}: write a longer password into it, or delete it and restart to generate one`;
    throw new ConfigError([problem]);
  }
  const { mode } = await stat(path);
  return { password, path, readableByOthers: (mode & 0o077) !== 0 };
}

/**
 * Generates a password into `dataDir`: 24 random bytes as 32 base64url characters, written with
 * mode 0600. The exclusive flag `wx` keeps a password that another process wrote at the same
 * moment, and that one is returned instead.
 */
export async function createStoredPassword(dataDir: string): Promise<StoredPassword & { created: boolean }> {
  const path = passwordFilePath(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('base64url');
  try {
    await writeFile(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readStoredPassword(dataDir);
    if (written === undefined) throw error;
    return { ...written, created: false };
  }
  return { password, path, readableByOthers: false, created: true };
}
