// Maps whatever a call can fail with (tRPC error envelope, network failure) to one ApiError.
import { TRPCClientError } from '@trpc/client';

/** tRPC error code names (data.code) plus NETWORK for a request that got no answer. */
export type ApiErrorCode =
  | 'PARSE_ERROR'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'TIMEOUT'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNPROCESSABLE_CONTENT'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_SERVER_ERROR'
  | 'NOT_IMPLEMENTED'
  | 'NETWORK'
  | 'UNKNOWN';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly httpStatus: number;
  readonly path: string;

  constructor(message: string, code: ApiErrorCode, httpStatus: number, path: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.path = path;
  }

  /** The procedure is registered but its module has not been built yet (HTTP 501). */
  get notImplemented(): boolean {
    return this.code === 'NOT_IMPLEMENTED';
  }
}

interface ErrorData {
  code?: unknown;
  httpStatus?: unknown;
  path?: unknown;
}

/** Converts any thrown value from a procedure call at `path` into an ApiError. */
export function toApiError(err: unknown, path: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof TRPCClientError) {
    const data = (err.data ?? {}) as ErrorData;
    if (typeof data.code === 'string') {
      const status = typeof data.httpStatus === 'number' ? data.httpStatus : 0;
      const p = typeof data.path === 'string' ? data.path : path;
      return new ApiError(err.message, data.code as ApiErrorCode, status, p);
    }
    // No tRPC envelope: the request did not reach the server or the answer was not JSON.
    const cause = err.cause instanceof Error ? err.cause.message : err.message;
    return new ApiError(cause || 'network error', 'NETWORK', 0, path);
  }
  if (err instanceof Error) return new ApiError(err.message, 'NETWORK', 0, path);
  return new ApiError(String(err), 'UNKNOWN', 0, path);
}

/** A sentence a person can act on, for the error states. */
export function describeError(e: ApiError): string {
  switch (e.code) {
    case 'NOT_IMPLEMENTED':
      return `${e.path} is registered on the server but not built yet.`;
    case 'UNAUTHORIZED':
      return 'Your session has ended. Sign in again.';
    case 'FORBIDDEN':
      return 'Your role does not allow this.';
    case 'TOO_MANY_REQUESTS':
      return 'Too many attempts. Wait a minute and try again.';
    case 'NETWORK':
      return `The server could not be reached (${e.message}).`;
    case 'NOT_FOUND':
      return e.message || `${e.path} was not found on this server.`;
    default:
      return e.message || e.code;
  }
}
