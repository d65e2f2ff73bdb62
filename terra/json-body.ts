/**
 * Decodes a webhook body as strict UTF-8 JSON. Invalid UTF-8 is an error rather than U+FFFD, and a
 * leading byte-order mark is dropped, as TextDecoder does. The webhook and the worker both call
 * this, so a body accepted at the door always parses in the worker.
 */
export function parseJsonBody(body: Buffer): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
}
