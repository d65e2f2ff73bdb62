import { signTerraBody } from '../../terra/signature.js';

export interface PostResult {
  status: number;
  body: unknown;
}

/** Signs a body as Terra does, POSTs it with the extra headers, and returns the status and JSON body. */
export async function postSigned(url: string, body: string | Buffer, secret: string, headers: Record<string, string> = {}): Promise<PostResult> {
  const signature = signTerraBody(body, secret, Math.floor(Date.now() / 1000));
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-terra-signature': signature, ...headers } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
