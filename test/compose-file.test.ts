// Real parts: docker-compose.yml, the repository files it mounts and the README. No container engine
// is needed: these checks read the file the way a user's `docker compose up` would rely on it, so a
// broken reference fails here even where test/compose-stack.test.ts is skipped.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  depends_on?: Record<string, { condition: string }>;
  volumes?: Array<string | { type: string; source: string; target: string }>;
  networks?: string[];
  ports?: string[];
  environment?: Record<string, string>;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks: Record<string, unknown>;
}

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const composeText = readFileSync(join(repositoryRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText) as ComposeFile;
const services = Object.entries(compose.services);

/** Splits a short volume entry `source:target[:mode]` into its source. */
function volumeSource(volume: string | { source: string }): string {
  return typeof volume === 'string' ? volume.split(':')[0]! : volume.source;
}

describe('docker-compose.yml', () => {
  it('depends only on services it defines', () => {
    for (const [name, service] of services) {
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} depends on ${dependency}`).toBeDefined();
      }
    }
  });

  it('declares every named volume and network it uses', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = volumeSource(volume);
        if (source.startsWith('.')) continue;
        expect(compose.volumes, `${name} mounts ${source}`).toHaveProperty([source]);
      }
      for (const network of service.networks ?? []) {
        if (network === 'default') continue;
        expect(compose.networks, `${name} joins ${network}`).toHaveProperty([network]);
      }
    }
  });

  it('bind-mounts only files that exist in the repository', () => {
    const sources = services.flatMap(([, service]) => (service.volumes ?? []).map(volumeSource)).filter((source) => source.startsWith('.'));

    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      // The contact point file is chosen by a variable; check the default choice.
      const path = source.replace('${GRAFANA_ALERT_CONTACT:-none}', 'none');
      expect(existsSync(join(repositoryRoot, path)), source).toBe(true);
    }
  });

  it('pins every image to a version', () => {
    for (const [name, service] of services) {
      if (service.image === undefined) continue;
      expect(service.image, name).toMatch(/:[0-9][0-9A-Za-z.-]*$|^hrv-stack-receiver:local$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
  });

  it('publishes no InfluxDB port', () => {
    expect(compose.services.influxdb?.ports).toBeUndefined();
  });

  it('documents every variable it reads in the README', () => {
    const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
    const variables = [...new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1]!))];

    expect(variables.length).toBeGreaterThan(20);
    for (const variable of variables) expect(readme, variable).toContain(`\`${variable}\``);
  });

  it('gives the readers the read-only token and the receiver the bucket token', () => {
    expect(compose.services.receiver?.environment?.INFLUX_TOKEN_FILE).toBe('/run/hrv-secrets/influx-receiver-token');
    expect(compose.services['dashboard-lite']?.environment?.INFLUX_TOKEN_FILE).toBe('/run/hrv-secrets/influx-read-token');
    const datasource = readFileSync(join(repositoryRoot, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8');
    expect(datasource).toContain('$__file{/run/hrv-secrets/influx-read-token}');
    expect(composeText).not.toMatch(/INFLUX_TOKEN_FILE: \/run\/hrv-secrets\/influx-admin-token/);
  });
});
