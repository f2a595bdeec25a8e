/**
 * The server's one typed error: an HTTPException that carries the OpenAI error fields. Handlers throw it
 * (or a typed error from @forno/db / @forno/tokenizer / zod); `toErrorResponse` in error-handler.ts turns
 * every one of them into `{ error: { message, type, param, code } }` with the right status.
 */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ApiErrorType = "invalid_request_error" | "authentication_error" | "rate_limit_error" | "server_error";

export interface ApiErrorFields {
  type?: ApiErrorType;
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
}

export class ApiError extends HTTPException {
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, message: string, fields: ApiErrorFields = {}) {
    super(status, { message });
    this.type = fields.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = fields.param ?? null;
    this.code = fields.code ?? null;
    this.headers = fields.headers ?? {};
  }

  body(): { error: { message: string; type: ApiErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** The scheduler's queue has no room for a request's choices; the server answers 429 with Retry-After. */
export class QueueFullError extends Error {
  override name = "QueueFullError";
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/** The scheduler was closed (the server is shutting down); the server answers 503. */
export class SchedulerClosedError extends Error {
  override name = "SchedulerClosedError";
}
