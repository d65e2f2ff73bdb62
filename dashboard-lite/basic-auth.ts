import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/** The realm browsers show in their login prompt. */
const REALM = 'hrv-stack dashboard-lite';

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * Compares two texts in time that does not depend on where they differ. Both sides are hashed
 * first, because timingSafeEqual needs equal lengths and a length check would leak the length.
 */
function equalInConstantTime(received: string, expected: string): boolean {
  const receivedDigest = createHash('sha256').update(received, 'utf8').digest();
  const expectedDigest = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(receivedDigest, expectedDigest);
}

/** Reads `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (match === null) return undefined;

  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Lets a request through only with the configured user name and password (RFC 7617). Both are
 * always compared, so the response time does not tell which one was wrong.
 */
export function basicAuth(expected: BasicCredentials): RequestHandler {
  return (request, response, next) => {
    const received = parseBasicAuthorization(request.headers.authorization) ?? { username: '', password: '' };
    const usernameMatches = equalInConstantTime(received.username, expected.username);
    const passwordMatches = equalInConstantTime(received.password, expected.password);
    if (usernameMatches && passwordMatches) {
      next();
      return;
    }

    response.setHeader('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
    response.status(401).json({
      error: 'unauthorized',
      message: 'Authentication required: sign in with the dashboard-lite user name and password. The README explains where to find the password',
    });
  };
}
