// Errors as JSON, in the OpenAI shape `{ error: { message, type, code } }` on every route.
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly type = "invalid_request_error",
    readonly code: string | null = null,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { message: string; type: string; code: string | null; details?: unknown };
}

export function errorBody(message: string, type: string, code: string | null = null, details?: unknown): ErrorBody {
  return { error: { message, type, code, ...(details === undefined ? {} : { details }) } };
}

export const badRequest = (message: string, details?: unknown): HttpError => new HttpError(400, message, "invalid_request_error", "bad_request", details);
export const notFound = (message: string): HttpError => new HttpError(404, message, "invalid_request_error", "not_found");
export const conflict = (message: string): HttpError => new HttpError(409, message, "invalid_request_error", "conflict");
