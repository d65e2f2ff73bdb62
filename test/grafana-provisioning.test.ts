/**
 * Checks the generated Grafana files: the committed JSON and YAML equal what grafana/*.ts
 * generates now, and every dashboard, panel and alert expression validates against Grafana's JSON
 * schemas (draft-07, from the grafana-foundation-sdk repository, read from ../shared). Nothing
 * here runs Grafana itself.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import type { AlertRulesFile } from '../grafana/alert-rule-types.js';
import { generatedFiles } from '../grafana/generated-files.js';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const schemaFolder = join(repositoryRoot, '../shared/grafana-jsonschema');
const SCHEMA_NAMES = ['dashboard', 'timeseries', 'stat', 'table', 'statetimeline', 'bargauge', 'expr'] as const;

/** Schema file of each panel type. */
const PANEL_SCHEMAS: Record<string, string> = {
  timeseries: 'timeseries',
  stat: 'stat',
  table: 'table',
  'state-timeline': 'statetimeline',
  bargauge: 'bargauge',
};

/** Override property ids the panels use, each a field option that Grafana documents. */
const OVERRIDE_PROPERTIES = new Set(['displayName', 'unit', 'decimals', 'color', 'mappings', 'custom.drawStyle', 'custom.pointSize', 'custom.lineWidth', 'custom.fillBelowTo', 'custom.fillOpacity', 'custom.cellOptions', 'custom.hidden']);

/** Panel types whose schema file defines FieldConfig (the `custom` field options). */
const PANELS_WITH_FIELD_CONFIG = new Set(['timeseries', 'table', 'statetimeline']);

interface Override {
  matcher: { id: string; options: unknown };
  properties: Array<{ id: string; value: unknown }>;
}

interface ContactFile {
  contactPoints?: Array<{ name: string; receivers: Array<{ uid: string }> }>;
  policies?: Array<{ orgId: number; receiver: string; group_by: string[]; routes?: Array<{ object_matchers: string[][]; mute_time_intervals: string[] }> }>;
  muteTimes?: unknown[];
}

interface Panel {
  type: string;
  title: string;
  description?: string;
  options?: unknown;
  fieldConfig?: { defaults?: { custom?: unknown; color?: unknown; thresholds?: unknown; mappings?: unknown }; overrides?: Override[] };
  targets?: Array<{ datasource?: { uid?: string }; query?: string }>;
}

function buildValidators(): (reference: string) => ValidateFunction {
  // date-time strings are not checked: no generated field carries one.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  for (const name of SCHEMA_NAMES) {
    ajv.addSchema(JSON.parse(readFileSync(join(schemaFolder, `${name}.jsonschema.json`), 'utf8')), name);
  }
  return (reference) => {
    const validate = ajv.getSchema(reference);
    if (validate === undefined) throw new Error(`schema ${reference} not found`);
    return validate;
  };
}

function expectValid(validate: ValidateFunction, value: unknown, where: string): void {
  const valid = validate(value);
  expect(valid ? [] : validate.errors, where).toEqual([]);
}

const files = generatedFiles();
const dashboards = [...files].filter(([path]) => path.endsWith('.json')).map(([path, text]) => ({ path, json: JSON.parse(text) as { uid: string; panels: Panel[] } }));
const validator = buildValidators();

/**
 * Returns a copy of a dashboard without field overrides. The dashboard schema types an override's
 * `matcher.options` and each property `value` as objects, but Grafana and the SDK's own builders
 * store strings and numbers there (`byName` takes the field name), so overrides are checked apart.
 */
function withoutOverrides(dashboard: { panels: Panel[] }): unknown {
  const copy = structuredClone(dashboard);
  for (const panel of copy.panels) if (panel.fieldConfig !== undefined) panel.fieldConfig.overrides = [];
  return copy;
}

describe('generated Grafana files', () => {
  it.each([...files.keys()])('committed %s equals the generated output', async (path) => {
    const committed = await readFile(join(repositoryRoot, path), 'utf8');

    expect(committed, `run npm run grafana:generate and commit ${path}`).toBe(files.get(path));
  });

  it.each(dashboards.map((dashboard) => [dashboard.path, dashboard]))('%s validates as a dashboard', (_path, dashboard) => {
    expectValid(validator('dashboard'), withoutOverrides(dashboard.json), dashboard.json.uid);
  });

  it('uses only name matchers and known override properties', () => {
    const overrides = dashboards.flatMap((dashboard) => dashboard.json.panels.flatMap((panel) => panel.fieldConfig?.overrides ?? []));

    expect(overrides.length).toBe(17);
    for (const override of overrides) {
      expect(override.matcher.id).toBe('byName');
      expect(typeof override.matcher.options).toBe('string');
      for (const property of override.properties) expect(OVERRIDE_PROPERTIES, property.id).toContain(property.id);
    }
  });

  it('ends dashboard ranges a day ahead', () => {
    // Last night's point sits at 10:30 UTC of its date, which can be hours after it is stored.
    for (const dashboard of dashboards) expect((dashboard.json as unknown as { time: unknown }).time, dashboard.json.uid).toEqual({ from: 'now-90d', to: 'now+1d' });
  });

  it('keeps stable dashboard uids', () => {
    expect(dashboards.map((dashboard) => dashboard.json.uid)).toEqual(['hrv-nights', 'hrv-compare']);
  });

  it('validates every panel against its panel schema', () => {
    const panels = dashboards.flatMap((dashboard) => dashboard.json.panels);
    expect(panels.length).toBe(13);

    for (const panel of panels) {
      expectValid(validator(`${PANEL_SCHEMAS[panel.type]}#/definitions/Options`), panel.options ?? {}, `${panel.title} options`);
      if (PANELS_WITH_FIELD_CONFIG.has(PANEL_SCHEMAS[panel.type]!)) {
        expectValid(validator(`${PANEL_SCHEMAS[panel.type]}#/definitions/FieldConfig`), panel.fieldConfig?.defaults?.custom ?? {}, `${panel.title} custom`);
      }
    }
  });

  it('gives every panel a description and the provisioned data source', () => {
    for (const panel of dashboards.flatMap((dashboard) => dashboard.json.panels)) {
      expect(panel.description?.length ?? 0, panel.title).toBeGreaterThan(80);
      expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('hrv-influxdb');
    }
  });

  it('contains no data source placeholders', () => {
    for (const text of files.values()) expect(text).not.toMatch(/\$\{DS_/);
  });

  it('validates every alert expression against the expression schema', () => {
    const rules = parse(files.get('grafana/provisioning/alerting/hrv-rules.yaml')!) as AlertRulesFile;
    const expressions = rules.groups.flatMap((group) => group.rules.flatMap((rule) => rule.data)).filter((query) => query.datasourceUid === '__expr__');

    expect(expressions.length).toBe(15);
    for (const expression of expressions) expectValid(validator('expr#/definitions/expr'), expression.model, expression.refId);
  });

  it('colours the last-night boxes by status only', () => {
    const panel = dashboards[0]!.json.panels.find((candidate) => candidate.title === 'Last night against the 7-day baseline')!;
    const defaults = panel.fieldConfig!.defaults!;
    const mappings = defaults.mappings as Array<{ options: Record<string, { color: string }> }>;

    expect((panel.options as { colorMode: string }).colorMode).toBe('background');
    expect(defaults.color).toEqual({ mode: 'fixed', fixedColor: 'transparent' });
    expect(defaults.thresholds).toEqual({ mode: 'absolute', steps: [{ value: null, color: 'transparent' }] });
    expect(Object.fromEntries(Object.entries(mappings[0]!.options).map(([status, result]) => [status, result.color]))).toEqual({
      below: 'red',
      within: 'green',
      above: 'blue',
      insufficient: '#8e8e8e',
    });
  });

  it('words the two-nights gap as a positive distance', () => {
    const rules = parse(files.get('grafana/provisioning/alerting/hrv-rules.yaml')!) as AlertRulesFile;
    const rule = rules.groups[0]!.rules.find((candidate) => candidate.uid === 'hrv-two-nights-below-range')!;
    const expressionOf = (refId: string) => rule.data.find((query) => query.refId === refId)!.model.expression;

    expect(expressionOf('LEAST_UNDER')).toBe('abs($GAP)');
    expect(expressionOf('MOST_UNDER')).toBe('abs($DEEPEST)');
    expect(rule.annotations.summary).toContain('{{ printf "%.1f" $values.LEAST_UNDER.Value }} ms and {{ printf "%.1f" $values.MOST_UNDER.Value }} ms under');
    expect(rule.annotations.summary).not.toContain('$values.GAP');
  });

  describe('contact point files', () => {
    const CONTACT_CHOICES = ['email', 'ntfy', 'telegram', 'webhook'] as const;
    const readContactFile = (name: string) => parse(readFileSync(join(repositoryRoot, `grafana/provisioning/contact-points/${name}.yaml`), 'utf8')) as ContactFile;

    it.each(CONTACT_CHOICES)('%s replaces one shared receiver', (name) => {
      const file = readContactFile(name);

      expect(file.contactPoints!.map((point) => point.name)).toEqual(['hrv-stack']);
      expect(file.contactPoints![0]!.receivers.map((receiver) => receiver.uid)).toEqual(['hrv-stack-receiver']);
      expect(file.policies).toEqual([{ orgId: 1, receiver: 'hrv-stack', group_by: ['grafana_folder', 'alertname', 'person', 'provider'] }]);
    });

    it('none mutes the hrv-stack alerts', () => {
      const file = readContactFile('none');
      const route = file.policies![0]!.routes![0]!;

      expect(file.contactPoints).toBeUndefined();
      expect(file.policies![0]!.group_by).toEqual(['grafana_folder', 'alertname', 'person', 'provider']);
      expect(route.object_matchers).toEqual([['stack', '=', 'hrv-stack']]);
      expect(route.mute_time_intervals).toEqual(['hrv-stack-no-contact-point']);
      expect(file.muteTimes).toEqual([{ orgId: 1, name: 'hrv-stack-no-contact-point', time_intervals: [{ weekdays: ['sunday:saturday'] }] }]);
    });

    it('mutes with weekday ranges Alertmanager accepts', () => {
      // Alertmanager's time-interval parser numbers the days from sunday (0) and rejects a range
      // that runs backwards, such as monday:sunday, which would stop Grafana's start.
      const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
      const file = readContactFile('none');
      const muteTimes = file.muteTimes as Array<{ time_intervals: Array<{ weekdays?: string[] }> }>;
      const ranges = muteTimes.flatMap((muteTime) => muteTime.time_intervals.flatMap((interval) => interval.weekdays ?? []));

      expect(ranges.length).toBeGreaterThan(0);
      for (const range of ranges) {
        const [start, end = start] = range.split(':').map((day) => days.indexOf(day));
        expect(start, range).toBeGreaterThanOrEqual(0);
        expect(end, range).toBeGreaterThanOrEqual(start!);
      }
    });

    it('labels every rule for the none route', () => {
      const rules = parse(files.get('grafana/provisioning/alerting/hrv-rules.yaml')!) as AlertRulesFile;

      for (const rule of rules.groups.flatMap((group) => group.rules)) expect(rule.labels.stack, rule.uid).toBe('hrv-stack');
    });

    it('mounts the chosen file without creating it', () => {
      const compose = parse(readFileSync(join(repositoryRoot, 'docker-compose.yml'), 'utf8')) as { services: { grafana: { volumes: unknown[] } } };
      const mount = compose.services.grafana.volumes.find((volume) => typeof volume === 'object' && (volume as { target: string }).target.endsWith('contact-point.yaml'));

      expect(mount).toEqual({
        type: 'bind',
        source: './grafana/provisioning/contact-points/${GRAFANA_ALERT_CONTACT:-none}.yaml',
        target: '/etc/grafana/provisioning/alerting/contact-point.yaml',
        read_only: true,
        bind: { create_host_path: false },
      });
    });
  });
});
