import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Delivery headers kept with the raw body; later processing steps read them. */
export interface DeliveryMetadata {
  receivedAtMs: number;
  traceId?: string;
  /** Terra's X-Terra-Ordering-Timestamp: Unix milliseconds when Terra emitted the payload. */
  orderingTimestampMs?: number;
  terraReference?: string;
}

export interface SpooledDelivery {
  id: string;
  metadata: DeliveryMetadata;
  body: Buffer;
}

const PENDING = 'pending';
const TEMPORARY = 'tmp';
const FAILED = 'failed';
const EXTENSION = '.delivery';
/** The metadata line contains a time, two header values of at most 200 characters and a number. */
const METADATA_READ_BYTES = 4096;

/**
 * The durable queue between the webhook and the worker: a folder of files, one per delivery.
 * A delivery is written to `tmp/`, fsynced, renamed into `pending/` and the folder fsynced before
 * the webhook responds 2xx, so an acknowledged delivery survives a power cut. File names sort in
 * arrival order. Each file contains one line of JSON metadata, a newline, then the raw body bytes.
 */
export class Spool {
  private sequence = 0;

  constructor(readonly directory: string) {}

  /** Creates the folders and removes half-written files left by a crash (never acknowledged). */
  async open(): Promise<void> {
    for (const folder of [PENDING, TEMPORARY, FAILED]) await mkdir(join(this.directory, folder), { recursive: true });
    for (const name of await readdir(join(this.directory, TEMPORARY))) await rm(join(this.directory, TEMPORARY, name), { force: true });
  }

  /** Stores a delivery durably and returns its id; throws when the disk refuses. */
  async append(metadata: DeliveryMetadata, body: Buffer): Promise<string> {
    const id = this.nextId(metadata.receivedAtMs);
    await this.writePending(id, join(this.directory, TEMPORARY, id + EXTENSION), metadata, body);
    return id;
  }

  /** Moves every delivery of the failed area back to pending, for the worker to try again. */
  async requeueFailed(): Promise<string[]> {
    const failedFolder = join(this.directory, FAILED);
    const ids = await this.failedIds();

    for (const id of ids) {
      await rename(join(failedFolder, id + EXTENSION), this.pendingPath(id));
      await rm(join(failedFolder, `${id}.reason.json`), { force: true });
    }
    await syncDirectory(join(this.directory, PENDING));

    return ids;
  }

  /** Lists pending delivery ids, oldest first. */
  async pendingIds(): Promise<string[]> {
    const names = await readdir(join(this.directory, PENDING));
    return names.filter((name) => name.endsWith(EXTENSION)).map((name) => name.slice(0, -EXTENSION.length)).sort();
  }

  /** Returns the trace id of every pending delivery that has one, reading only the metadata lines. */
  async pendingTraceIds(): Promise<string[]> {
    const traceIds: string[] = [];
    for (const id of await this.pendingIds()) {
      const metadata = await this.readMetadata(id).catch(() => undefined);
      if (metadata?.traceId !== undefined) traceIds.push(metadata.traceId);
    }
    return traceIds;
  }

  async read(id: string): Promise<SpooledDelivery> {
    const content = await readFile(this.pendingPath(id));
    const newline = content.indexOf(0x0a);
    if (newline < 0) throw new Error(`spool file ${id} has no metadata line`);
    const metadata = JSON.parse(content.subarray(0, newline).toString('utf8')) as DeliveryMetadata;
    return { id, metadata, body: content.subarray(newline + 1) };
  }

  /**
   * Replaces the body of a pending delivery, keeping its id and so its place in the queue. The new
   * file is written and fsynced in `tmp/` and renamed over the old one, so a crash leaves either.
   */
  async replaceBody(id: string, metadata: DeliveryMetadata, body: Buffer): Promise<void> {
    await this.writePending(id, join(this.directory, TEMPORARY, `${id}.replacement`), metadata, body);
  }

  /** Writes and fsyncs the file in `tmp/`, renames it into `pending/` and fsyncs that folder. */
  private async writePending(id: string, temporaryPath: string, metadata: DeliveryMetadata, body: Buffer): Promise<void> {
    const header = Buffer.from(`${JSON.stringify(metadata)}\n`, 'utf8');
    try {
      await writeFileDurably(temporaryPath, [header, body]);
      await rename(temporaryPath, this.pendingPath(id));
    } catch (error) {
      await rm(temporaryPath, { force: true }).catch(() => undefined);
      throw error;
    }
    await syncDirectory(join(this.directory, PENDING));
  }

  async remove(id: string): Promise<void> {
    await rm(this.pendingPath(id), { force: true });
  }

  /** Moves a delivery that can never be stored to `failed/`, with a JSON file giving the reason. */
  async moveToFailed(id: string, reason: Record<string, unknown>): Promise<string> {
    const failedPath = join(this.directory, FAILED, id + EXTENSION);
    const record = { ...reason, failedAt: new Date().toISOString() };
    await writeFile(join(this.directory, FAILED, `${id}.reason.json`), `${JSON.stringify(record, null, 2)}\n`);
    await rename(this.pendingPath(id), failedPath);
    await syncDirectory(join(this.directory, FAILED));
    return failedPath;
  }

  /**
   * Throws unless a delivery of `minFreeBytes` could be stored right now: the file system has that
   * much space free, and a probe file is written and fsynced in `tmp/`, renamed into `pending/`
   * (under a name the worker ignores) and removed.
   */
  async checkWritable(minFreeBytes = 0): Promise<void> {
    const { bavail, bsize } = await statfs(this.directory);
    if (bavail * bsize < minFreeBytes) throw new Error(`less than ${minFreeBytes} bytes free in ${this.directory}`);

    const name = `readiness-${randomBytes(6).toString('hex')}.probe`;
    const probePath = join(this.directory, TEMPORARY, name);
    const pendingProbePath = join(this.directory, PENDING, name);
    try {
      await writeFileDurably(probePath, [Buffer.from('ok')]);
      await rename(probePath, pendingProbePath);
    } finally {
      await rm(probePath, { force: true });
      await rm(pendingProbePath, { force: true });
    }
  }

  /** Returns the reason file of a failed delivery, or undefined when it is missing or unreadable. */
  async failedReason(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      return JSON.parse(await readFile(join(this.directory, FAILED, `${id}.reason.json`), 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** Deletes a failed delivery and its reason file. */
  async removeFailed(id: string): Promise<void> {
    await rm(join(this.directory, FAILED, id + EXTENSION), { force: true });
    await rm(join(this.directory, FAILED, `${id}.reason.json`), { force: true });
    await syncDirectory(join(this.directory, FAILED));
  }

  /** Lists the ids of the deliveries in the failed area, oldest first. */
  async failedIds(): Promise<string[]> {
    const names = await readdir(join(this.directory, FAILED));
    return names.filter((name) => name.endsWith(EXTENSION)).map((name) => name.slice(0, -EXTENSION.length)).sort();
  }

  /**
   * Age of the oldest pending delivery in milliseconds, from its file's modification time, or
   * undefined when nothing is pending. A delivery that the worker removes between the listing
   * and the stat is passed over for the next one.
   */
  async oldestPendingAgeMs(now = Date.now()): Promise<number | undefined> {
    for (const id of await this.pendingIds()) {
      try {
        const { mtimeMs } = await stat(this.pendingPath(id));
        return Math.max(0, now - mtimeMs);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return undefined;
  }

  /** Reads the metadata line of a pending delivery without reading its body. */
  private async readMetadata(id: string): Promise<DeliveryMetadata> {
    const file = await open(this.pendingPath(id), 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(METADATA_READ_BYTES), 0, METADATA_READ_BYTES, 0);
      const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
      if (newline < 0) throw new Error(`spool file ${id} has no metadata line in its first ${METADATA_READ_BYTES} bytes`);
      return JSON.parse(buffer.subarray(0, newline).toString('utf8')) as DeliveryMetadata;
    } finally {
      await file.close();
    }
  }

  private pendingPath(id: string): string {
    return join(this.directory, PENDING, id + EXTENSION);
  }

  /** Time first, then a per-process counter and random bytes, so ids sort in arrival order and never collide. */
  private nextId(receivedAtMs: number): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    const time = String(receivedAtMs).padStart(15, '0');
    return `${time}-${String(this.sequence).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
  }
}

/**
 * Writes every buffer completely, fsyncs and closes the file. A write to a nearly full disk can
 * return fewer bytes than asked without an error, so the loop goes on until the disk raises
 * ENOSPC, and the final size is checked before the file counts as written.
 */
async function writeFileDurably(path: string, buffers: readonly Buffer[]): Promise<void> {
  const expectedBytes = buffers.reduce((total, buffer) => total + buffer.length, 0);
  const file = await open(path, 'wx', 0o600);
  try {
    for (const buffer of buffers) {
      let offset = 0;
      while (offset < buffer.length) {
        const { bytesWritten } = await file.write(buffer, offset, buffer.length - offset);
        if (bytesWritten === 0) throw new Error(`spool file ${path}: the disk accepted no more bytes`);
        offset += bytesWritten;
      }
    }
    await file.sync();
    const { size } = await file.stat();
    if (size !== expectedBytes) throw new Error(`spool file ${path} has ${size} bytes instead of ${expectedBytes}`);
  } finally {
    await file.close();
  }
}

/** fsyncs a folder so that a rename inside it survives a power cut (POSIX leaves this to the caller). */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
