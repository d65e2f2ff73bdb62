import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small tmpfs mounted on a temporary folder, to give the spool a real full or read-only disk. */
export interface SmallTmpfs {
  readonly mountPoint: string;
  /** Remounts read-only, so that every write fails with EROFS, root's included. */
  makeReadOnly(): void;
  makeWritable(): void;
  /** Unmounts and deletes the mount point. */
  dispose(): void;
}

function runMount(args: string[]): void {
  execFileSync('mount', args, { stdio: 'pipe' });
}

/**
 * Mounts a tmpfs of `size` (mount's syntax, such as `128k`), or returns why it cannot: mounting
 * needs root with CAP_SYS_ADMIN. The tests that use it are skipped with that reason otherwise.
 */
export function mountSmallTmpfs(size: string): SmallTmpfs | { problem: string } {
  const mountPoint = mkdtempSync(join(tmpdir(), 'hrv-tmpfs-'));
  try {
    runMount(['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint]);
  } catch (error) {
    rmSync(mountPoint, { recursive: true, force: true });
    return { problem: String((error as { stderr?: Buffer }).stderr ?? error).trim() };
  }

  return {
    mountPoint,
    makeReadOnly: () => runMount(['-o', 'remount,ro', mountPoint]),
    makeWritable: () => runMount(['-o', 'remount,rw', mountPoint]),
    dispose() {
      execFileSync('umount', [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    },
  };
}
