/**
 * End-to-end test of Grafana in docker-compose.yml, as a user starts it.
 *
 * Real: the compose stack (receiver image, InfluxDB 2.7 with its generated read-only token,
 * Grafana 13.3.0 with the provisioned files of grafana/provisioning), the built `hrv-stack
 * simulate` command and Grafana's HTTP API. Stand-ins: the Terra signing secret is a test value,
 * and the webhooks are simulated nights and Terra's deauth sample, signed here instead of by Terra.
 *
 * Needs a container engine and Docker Compose v2. Without an engine the suite is skipped, and the
 * reason is printed.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { DockerComposeEnvironment, Wait, type StartedDockerComposeEnvironment } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generatedFiles } from '../grafana/generated-files.js';
import { signTerraBody } from '../terra/signature.js';
import { runBuiltCli } from './support/built-cli.js';
import { findFreePort } from './support/free-port.js';
import { missingContainerRuntime } from './support/container-runtime.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const deauthPath = path.resolve(projectRoot, '../shared/terra-samples/deauth.json');
const testSigningSecret = 'grafana-stack-test-signing-secret';
/** A cold start builds the receiver image and pulls InfluxDB and Grafana, which takes minutes. */
const stackStartTimeoutMs = 15 * 60_000;
/** Rules are evaluated every 5 minutes, so the first evaluation can take that long. */
const ruleEvaluationDeadlineMs = 7 * 60_000;

const missingRuntimeReason = await missingContainerRuntime('grafana-stack.test.ts');

interface PanelTarget {
  refId: string;
  query: string;
  resultFormat: string;
  datasource: { uid: string };
}

/** Lists every panel target of the generated dashboards, with the dashboard and panel title. */
function panelTargets(): Array<{ where: string; target: PanelTarget }> {
  const targets: Array<{ where: string; target: PanelTarget }> = [];
  for (const [file, text] of generatedFiles()) {
    if (!file.endsWith('.json')) continue;
    const dashboard = JSON.parse(text) as { uid: string; panels: Array<{ title: string; targets: PanelTarget[] }> };
    for (const panel of dashboard.panels) for (const target of panel.targets) targets.push({ where: `${dashboard.uid}: ${panel.title}`, target });
  }
  return targets;
}

describe.skipIf(missingRuntimeReason !== undefined)('Grafana in the compose stack', () => {
  let stack: StartedDockerComposeEnvironment | undefined;
  let grafanaUrl = '';
  let authorization = '';

  const grafana = async (method: string, route: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const response = await fetch(`${grafanaUrl}${route}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };

  beforeAll(async () => {
    const [receiverPort, grafanaPort] = [await findFreePort(), await findFreePort()];
    stack = await new DockerComposeEnvironment(projectRoot, 'docker-compose.yml')
      .withBuild()
      .withEnvironment({ TERRA_SIGNING_SECRET: testSigningSecret, RECEIVER_PORT: String(receiverPort), GRAFANA_PORT: String(grafanaPort) })
      .withWaitStrategy('receiver-1', Wait.forHealthCheck())
      .withWaitStrategy('grafana-1', Wait.forHealthCheck())
      .withStartupTimeout(stackStartTimeoutMs)
      .up();

    const password = await stack.getContainer('grafana-1').exec(['cat', '/run/hrv-secrets/grafana-admin-password']);
    authorization = `Basic ${Buffer.from(`admin:${password.stdout.trim()}`).toString('base64')}`;
    grafanaUrl = `http://127.0.0.1:${grafanaPort}`;
    const webhookUrl = `http://127.0.0.1:${receiverPort}/webhooks/terra`;

    const simulation = await runBuiltCli(['simulate', '--url', webhookUrl, '--secret', testSigningSecret, '--people', '3', '--nights', '30'], { cwd: projectRoot });
    if (simulation.exitCode !== 0) throw new Error(`simulate failed: ${simulation.stderr}`);
    const deauth = await readFile(deauthPath);
    await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'terra-signature': signTerraBody(deauth, testSigningSecret, Math.floor(Date.now() / 1000)) }, body: deauth });
    // The receiver stores deliveries after it returns 200, and 30 nights of 3 people take a few seconds.
    await sleep(20_000);
  }, stackStartTimeoutMs + 120_000);

  afterAll(async () => {
    await stack?.down({ removeVolumes: true });
  }, 120_000);

  it('reports the data source healthy', async () => {
    const health = await grafana('GET', '/api/datasources/uid/hrv-influxdb/health');

    expect(health.status).toBe(200);
    expect(health.json.status).toBe('OK');
  });

  it.each(panelTargets().map(({ where, target }) => [where, target]))('returns data for %s', async (_where, target) => {
    // Grafana's backend substitutes $timeFilter and $__interval. The browser substitutes template variables, so the test does.
    const query = target.query.replaceAll('$person', '.*').replaceAll('$provider', '.*');
    const response = await grafana('POST', '/api/ds/query', { from: 'now-90d', to: 'now', queries: [{ ...target, query, intervalMs: 3_600_000, maxDataPoints: 1000 }] });
    const result = response.json.results[target.refId];

    expect(response.status).toBe(200);
    expect(result.error).toBeUndefined();
    expect(result.frames.length).toBeGreaterThan(0);
    expect(result.frames.some((frame: { data: { values: unknown[][] } }) => (frame.data.values[0]?.length ?? 0) > 0)).toBe(true);
  });

  it('loads the four alert rules', async () => {
    const rules = await grafana('GET', '/api/v1/provisioning/alert-rules');

    expect(rules.json.map((rule: { uid: string }) => rule.uid).sort()).toEqual(['hrv-baseline-below-range', 'hrv-no-data-36h', 'hrv-receiver-heartbeat', 'hrv-two-nights-below-range']);
  });

  it('evaluates every alert rule without errors', async () => {
    const deadline = Date.now() + ruleEvaluationDeadlineMs;
    let health: string[] = [];
    while (Date.now() < deadline) {
      const state = await grafana('GET', '/api/prometheus/grafana/api/v1/rules');
      health = state.json.data.groups.flatMap((group: { rules: Array<{ health: string }> }) => group.rules.map((rule) => rule.health));
      if (health.length === 4 && health.every((value) => value !== 'unknown' && value !== '')) break;
      await sleep(10_000);
    }

    expect(health).toEqual(['ok', 'ok', 'ok', 'ok']);
  }, ruleEvaluationDeadlineMs + 30_000);

  it('publishes Grafana but not InfluxDB', () => {
    expect(() => stack!.getContainer('influxdb-1').getMappedPort(8086)).toThrow();
    expect(stack!.getContainer('grafana-1').getMappedPort(3000)).toBeGreaterThan(0);
  });
});
