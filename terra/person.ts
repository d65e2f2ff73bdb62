import { MAX_ID_CHARS, type TerraUser } from './envelope.js';

/**
 * Parses `PERSON_LABELS`: `id=name` pairs separated by commas, where id is a Terra `reference_id`
 * or `user_id`. Returns the map, or a message naming the first invalid pair.
 */
export function parsePersonLabels(text: string): Map<string, string> | string {
  const labels = new Map<string, string>();

  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const separator = pair.indexOf('=');
    const id = pair.slice(0, Math.max(separator, 0)).trim();
    const name = pair.slice(separator + 1).trim();
    if (separator < 0 || id === '' || name === '') {
      return `expected id=name pairs separated by commas, such as alice=Alice,bob=Bob; invalid pair "${pair.trim()}"`;
    }
    if (labels.has(id)) return `the id "${id}" appears twice`;
    if (name.length > MAX_ID_CHARS) return `the name for "${id}" is longer than ${MAX_ID_CHARS} characters`;
    labels.set(id, name);
  }

  return labels;
}

/**
 * Chooses the `person` tag: Terra's `reference_id` when present (it survives reconnections), else
 * `user_id`. A label from PERSON_LABELS for either id replaces it, reference_id first.
 */
export function resolvePerson(user: TerraUser, labels: ReadonlyMap<string, string>): string {
  const referenceId = typeof user.reference_id === 'string' && user.reference_id.trim() !== '' ? user.reference_id : undefined;

  const label = (referenceId !== undefined ? labels.get(referenceId) : undefined) ?? labels.get(user.user_id);
  if (label !== undefined) return label;

  return referenceId ?? user.user_id;
}
