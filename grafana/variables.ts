import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUX_DATASOURCE } from './common.js';
import { PERSON_VALUES, PROVIDER_VALUES } from './panel-queries.js';

/** Builds the `person` variable: one or more people, All by default. */
export function personVariable(): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder('person')
    .label('Person')
    .description('People to show; their names come from the person tag of the stored nights.')
    .datasource(INFLUX_DATASOURCE)
    .query(PERSON_VALUES)
    .definition(PERSON_VALUES)
    .multi(true)
    .includeAll(true)
    .current({ text: ['All'], value: ['$__all'] })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalCaseInsensitiveAsc);
}

/** Builds the `provider` variable: one wearable provider or All. */
export function providerVariable(): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder('provider')
    .label('Provider')
    .description('Wearable provider, as Terra names it (GARMIN, OURA, ...). Nights of two providers are never mixed.')
    .datasource(INFLUX_DATASOURCE)
    .query(PROVIDER_VALUES)
    .definition(PROVIDER_VALUES)
    .multi(false)
    .includeAll(true)
    .current({ text: 'All', value: '$__all' })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalCaseInsensitiveAsc);
}
