/**
 * The receiver's heartbeat against a real influxd 1.6 child process, written through the
 * receiver's own v1 line writer. Nothing is a stand-in except the clock, fixed per beat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLineWriter } from '../influx/create-line-writer.js';
import { loadReceiverConfig } from '../receiver/config.js';
import { Heartbeat } from '../receiver/heartbeat.js';
import { startInfluxDb, receiverInfluxEnv, type InfluxDbServer } from './support/influxdb.js';
import { collectingLogger } from './support/log-collector.js';

describe('receiver heartbeat', () => {
  let influx: InfluxDbServer;

  beforeAll(async () => {
    influx = await startInfluxDb();
  });

  afterAll(async () => {
    await influx?.dispose();
  });

  it('writes one point per beat', async () => {
    const config = loadReceiverConfig(receiverInfluxEnv(influx, '1'));
    const times = [Date.UTC(2026, 11, 1, 8), Date.UTC(2026, 11, 1, 8, 1)];
    const { logger } = collectingLogger();
    const heartbeat = new Heartbeat({ writer: createLineWriter(config.influx), intervalMs: 60_000, logger, now: () => times.shift()! });

    await heartbeat.beat();
    await heartbeat.beat();

    expect(await influx.query('SELECT "up", "component" FROM "hrv_stack_heartbeat"')).toEqual([
      { time: `${BigInt(Date.UTC(2026, 11, 1, 8)) * 1_000_000n}`, up: 1, component: 'receiver' },
      { time: `${BigInt(Date.UTC(2026, 11, 1, 8, 1)) * 1_000_000n}`, up: 1, component: 'receiver' },
    ]);
  });

  it('logs one warning per run of failures', async () => {
    const config = loadReceiverConfig({ ...receiverInfluxEnv(influx, '1'), INFLUX_DATABASE: 'missing_database' });
    const { logger, lines } = collectingLogger();
    const heartbeat = new Heartbeat({ writer: createLineWriter(config.influx), intervalMs: 60_000, logger });

    await heartbeat.beat();
    await heartbeat.beat();

    expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).toEqual(['heartbeat write failed; later failures are not logged until one succeeds']);
  });

  it('writes nothing with interval 0', () => {
    const config = loadReceiverConfig(receiverInfluxEnv(influx, '1'));
    const writer = createLineWriter(config.influx);
    const written: string[][] = [];
    // Counts the calls to the real writer; a beat calls write() before its first await.
    const countingWriter = {
      write(lines: readonly string[]): Promise<void> {
        written.push([...lines]);
        return writer.write(lines);
      },
      ping: () => writer.ping(),
    };
    const { logger } = collectingLogger();

    new Heartbeat({ writer: countingWriter, intervalMs: 0, logger }).start();
    const running = new Heartbeat({ writer: countingWriter, intervalMs: 60_000, logger });
    running.start();
    running.stop();

    expect(written).toHaveLength(1);
  });
});
