/**
 * One place where errors become HTTP replies in the OpenAI error shape. Typed errors of the packages map to
 * statuses here (db NotFoundError → 404, ValidationError → 400, ConflictError → 409; tokenizer errors and
 * requests the engine refuses (model ConfigError) → 400;
 * a full queue → 429 with Retry-After; a closed scheduler, engine or store → 503); anything else is a 500 whose
 * details go to the log, not to the client.
 */
import { ConflictError, NotFoundError, StoreClosedError, ValidationError } from "@forno/db";
import { ConfigError, EngineClosedError } from "@forno/model";
import { ChatFormatError, TokenizerError } from "@forno/tokenizer";
import type { Context } from "hono";
import { ApiError, QueueFullError, SchedulerClosedError } from "./errors.ts";

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof QueueFullError) {
    return new ApiError(429, err.message, { type: "rate_limit_error", code: "queue_full", headers: { "Retry-After": String(err.retryAfterS) } });
  }
  if (err instanceof SchedulerClosedError || err instanceof StoreClosedError || err instanceof EngineClosedError) {
    return new ApiError(503, `the server is shutting down (${err.message}); retry against a running server`, { code: "shutting_down" });
  }
  if (err instanceof NotFoundError) return new ApiError(404, err.message, { code: "not_found" });
  if (err instanceof ValidationError) return new ApiError(400, err.message, { code: "invalid_value" });
  if (err instanceof ConflictError) return new ApiError(409, err.message, { code: "conflict" });
  if (err instanceof ChatFormatError) return new ApiError(400, err.message, { param: "messages", code: "invalid_value" });
  if (err instanceof ConfigError) return new ApiError(400, err.message, { code: "invalid_value" }); // a request the engine cannot run
  if (err instanceof TokenizerError) return new ApiError(400, err.message, { code: "invalid_value" });
  console.error("server: unexpected error", err);
  return new ApiError(500, "internal server error; the details are in the server log", { code: "internal_error" });
}

export function errorResponse(err: unknown, c: Context): Response {
  const api = toApiError(err);
  return c.json(api.body(), api.status, api.headers);
}
