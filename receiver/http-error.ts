import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';

/** An error response with a 4xx or 5xx status and a JSON body `{ error, message, ...details }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound: RequestHandler = (request, _response, next) => {
  next(new HttpError(404, 'not_found', `No route for ${request.method} ${request.path}`));
};

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

function fromBodyParser(error: BodyParserError): HttpError | undefined {
  if (error.type === 'entity.too.large') {
    return new HttpError(413, 'body_too_large', `The body exceeds MAX_BODY_BYTES (${error.limit} bytes)`, { limit: error.limit });
  }
  if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
    return new HttpError(415, 'unsupported_encoding', 'Compressed bodies and charsets other than UTF-8 are not supported: send the body as plain UTF-8 JSON');
  }
  if (error.type === 'request.aborted') return new HttpError(400, 'request_aborted', 'The client aborted the request');
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    return new HttpError(error.status, 'invalid_request', 'The request body could not be read');
  }
  return undefined;
}

/**
 * Sends every error as JSON. Unknown errors become a plain 500 without a stack trace or any detail
 * on the wire, and are logged at error.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const known = error instanceof HttpError ? error : fromBodyParser(error as BodyParserError);
    if (known === undefined) logger.error({ err: error, method: request.method, path: request.path }, 'request failed');

    const errorResponse = known ?? new HttpError(500, 'internal_error', 'Internal error; the receiver log has details');
    if (response.headersSent) return;
    response.status(errorResponse.status).json({ error: errorResponse.code, message: errorResponse.message, ...errorResponse.details });
  };
}
