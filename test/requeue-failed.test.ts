import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Spool } from '../receiver/spool.js';
import { readTerraSample } from './support/terra-samples.js';
import { BUILT_CLI, runBuiltCli, type CliRun } from './support/built-cli.js';

// Real: the built command line (dist/cli/hrv-stack.js, which `npm test` builds first) run as a
// child process, receiver/spool.ts and the spool folders on disk.
// Stand-in: no receiver and no InfluxDB run. The test writes each failed delivery itself, in the
// spool's format: one line of JSON metadata, a newline, the raw body. Beside it goes a reason file
// like the one the worker writes when InfluxDB rejects a delivery for good.


let workDirectory = '';

/** Runs the built command line without this shell's SPOOL_DIR. */
function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return runBuiltCli(args, { cwd: options.cwd ?? workDirectory, env: options.env, withoutEnv: ['SPOOL_DIR'] });
}

/** Creates an opened spool in a fresh folder under the work directory. */
async function createSpool(name: string): Promise<Spool> {
  const spool = new Spool(join(workDirectory, name));
  await spool.open();
  return spool;
}

/** Writes a failed delivery and its reason file as the worker leaves them, and returns the delivery's bytes. */
async function writeFailedDelivery(spool: Spool, id: string, body: Buffer): Promise<Buffer> {
  const metadata = { receivedAtMs: Number(id.slice(0, 15)), traceId: `trace-${id}`, orderingTimestampMs: 1_793_000_000_000 };
  const bytes = Buffer.concat([Buffer.from(`${JSON.stringify(metadata)}\n`, 'utf8'), body]);
  const reason = { reason: 'InfluxDB rejected the points for good', status: 400, failedAt: '2026-11-02T06:00:00.000Z' };

  await writeFile(join(spool.directory, 'failed', `${id}.delivery`), bytes);
  await writeFile(join(spool.directory, 'failed', `${id}.reason.json`), `${JSON.stringify(reason, null, 2)}\n`);
  return bytes;
}

const FIRST_ID = '001793000000000-000001-0a1b2c3d';
const SECOND_ID = '001793000000500-000002-4e5f6a7b';

beforeAll(async () => {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} not found: run npm run build before these tests`);
  workDirectory = await mkdtemp(join(tmpdir(), 'hrv-requeue-'));
});

afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

describe('hrv-stack requeue-failed', () => {
  it('moves failed delivery back unchanged', async () => {
    const spool = await createSpool('one-failed');
    const body = readTerraSample('sleep-garmin.json');
    const bytes = await writeFailedDelivery(spool, FIRST_ID, body);

    const run = await runCli(['requeue-failed', '--spool-dir', spool.directory]);

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      `Requeued 1 failed delivery from ${join(spool.directory, 'failed')} to pending/.\n` +
        'A running receiver picks it up within 30 seconds, a stopped one at its next start.\n',
    );
    expect(run.stderr).toBe('');
    const pendingBytes = await readFile(join(spool.directory, 'pending', `${FIRST_ID}.delivery`));
    expect(pendingBytes.equals(bytes)).toBe(true);
    expect(await readdir(join(spool.directory, 'failed'))).toEqual([]);
    expect(await spool.pendingIds()).toEqual([FIRST_ID]);
    const delivery = await spool.read(FIRST_ID);
    expect(delivery.body.equals(body)).toBe(true);
    expect(delivery.metadata).toEqual({ receivedAtMs: 1_793_000_000_000, traceId: `trace-${FIRST_ID}`, orderingTimestampMs: 1_793_000_000_000 });
  });

  it('reads SPOOL_DIR when no option', async () => {
    const spool = await createSpool('from-environment');
    const firstBytes = await writeFailedDelivery(spool, FIRST_ID, Buffer.from('{"type":"sleep"}'));
    const secondBytes = await writeFailedDelivery(spool, SECOND_ID, Buffer.from([0x7b, 0x7d, 0x0a, 0xff, 0x00]));

    const run = await runCli(['requeue-failed'], { env: { SPOOL_DIR: spool.directory } });

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`Requeued 2 failed deliveries from ${join(spool.directory, 'failed')} to pending/.`);
    expect(run.stdout).toContain('A running receiver picks them up within 30 seconds');
    expect(await spool.pendingIds()).toEqual([FIRST_ID, SECOND_ID]);
    expect((await readFile(join(spool.directory, 'pending', `${FIRST_ID}.delivery`))).equals(firstBytes)).toBe(true);
    expect((await readFile(join(spool.directory, 'pending', `${SECOND_ID}.delivery`))).equals(secondBytes)).toBe(true);
    expect(await readdir(join(spool.directory, 'failed'))).toEqual([]);
  });

  it('defaults to ./spool', async () => {
    const folder = join(workDirectory, 'default-folder');
    await mkdir(folder);
    const spool = new Spool(join(folder, 'spool'));
    await spool.open();
    await writeFailedDelivery(spool, FIRST_ID, Buffer.from('{}'));

    const run = await runCli(['requeue-failed'], { cwd: folder, env: { SPOOL_DIR: '' } });

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`Requeued 1 failed delivery from ${join(spool.directory, 'failed')} to pending/.`);
    expect(await spool.pendingIds()).toEqual([FIRST_ID]);
  });

  it('empty failed folder exits 0', async () => {
    const spool = await createSpool('nothing-failed');

    const run = await runCli(['requeue-failed', '--spool-dir', spool.directory]);

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`No failed deliveries in ${join(spool.directory, 'failed')}: nothing to requeue.\n`);
    expect(await spool.pendingIds()).toEqual([]);
  });

  it('missing folder exits 2', async () => {
    const missing = join(workDirectory, 'no-such-spool');

    const run = await runCli(['requeue-failed', '--spool-dir', missing]);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(`Invalid options:\n  - spool folder ${missing} not found: pass --spool-dir with the receiver's SPOOL_DIR\n`);
    expect(run.stdout).toBe('');
    expect(existsSync(missing)).toBe(false);
  });

  it('folder without spool layout exits 2', async () => {
    const folder = join(workDirectory, 'not-a-spool');
    await mkdir(folder);

    const run = await runCli(['requeue-failed', '--spool-dir', folder]);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`${folder} is not a receiver spool folder, because it has no pending/ or failed/ folder: pass --spool-dir`);
    expect(await readdir(folder)).toEqual([]);
  });

  it('failed move exits 1', async () => {
    const spool = await createSpool('blocked-move');
    await writeFailedDelivery(spool, FIRST_ID, Buffer.from('{}'));
    // A non-empty folder under the delivery's pending name makes the rename fail with EISDIR,
    // also for root, which ignores file permissions.
    await mkdir(join(spool.directory, 'pending', `${FIRST_ID}.delivery`, 'blocker'), { recursive: true });

    const run = await runCli(['requeue-failed', '--spool-dir', spool.directory]);

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`moving failed deliveries back to pending/ in ${spool.directory} failed: EISDIR`);
    expect(run.stderr).toContain('Deliveries moved before the error stay in pending/.');
    expect(await readdir(join(spool.directory, 'failed'))).toEqual([`${FIRST_ID}.delivery`, `${FIRST_ID}.reason.json`]);
  });
});
