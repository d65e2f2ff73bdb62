import { appendFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Content of a journal file when it was opened. */
export interface OpenedJournal {
  journal: JsonLinesJournal;
  /** Every line that parsed as JSON, in file order. */
  entries: unknown[];
  /** Lines that did not parse, such as a line cut short by a crash. */
  unreadableLines: number;
}

/**
 * An append-only file of JSON lines that is rewritten in full to drop stale lines. Appends are
 * written but not fsynced. A crash of the process loses nothing already appended, because the
 * kernel has it, while a power cut can lose the lines of the last seconds. So it suits state whose
 * loss only repeats work. A rewrite goes to a temporary file, is fsynced and renamed over the old
 * file, so the journal is never half rewritten. Appends and rewrites run one at a time, in order.
 * The file is opened for each write and never held open, because an open file keeps its file
 * system from being remounted read-only.
 */
export class JsonLinesJournal {
  private queue: Promise<void> = Promise.resolve();
  private lines: number;
  private closed = false;

  private constructor(
    private readonly path: string,
    lines: number,
  ) {
    this.lines = lines;
  }

  /** Reads the journal file, if there is one, after creating its folder. */
  static async open(path: string): Promise<OpenedJournal> {
    await mkdir(dirname(path), { recursive: true });
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });

    const entries: unknown[] = [];
    let unreadableLines = 0;
    const lines = text.split('\n').filter((line) => line !== '');
    for (const line of lines) {
      try {
        entries.push(JSON.parse(line));
      } catch {
        unreadableLines += 1;
      }
    }

    return { journal: new JsonLinesJournal(path, lines.length), entries, unreadableLines };
  }

  /** Lines in the file, stale ones included, so that callers know when a rewrite pays off. */
  get lineCount(): number {
    return this.lines;
  }

  /** Appends one line per entry. */
  append(entries: readonly unknown[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');

    return this.enqueue(async () => {
      await appendFile(this.path, text, { encoding: 'utf8', mode: 0o600 });
      this.lines += entries.length;
    });
  }

  /** Replaces the file's content with one line per entry. */
  rewrite(entries: readonly unknown[]): Promise<void> {
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');

    return this.enqueue(async () => {
      const temporaryPath = `${this.path}.tmp`;
      await writeAndSync(temporaryPath, text);
      await rename(temporaryPath, this.path);
      await syncFolder(dirname(this.path));
      this.lines = entries.length;
    });
  }

  /** Waits for pending writes and fsyncs the file; later writes fail. */
  close(): Promise<void> {
    const run = this.enqueue(() => syncFile(this.path));
    this.closed = true;
    return run;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the journal ${this.path} is closed`));
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

async function writeAndSync(path: string, text: string): Promise<void> {
  const file = await open(path, 'w', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(path, { force: true });
    throw error;
  }
  await file.close();
}

/** fsyncs a file that exists, or does nothing when it does not. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (handle === undefined) return;
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a folder, so that a rename inside it survives a power cut. */
async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
