/**
 * Bearer-key check, on when the server is given an API key: `Authorization: Bearer <key>` must match,
 * compared in constant time. Missing or wrong keys get 401 in the OpenAI error shape.
 */
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

export function bearerAuth(apiKey: string): MiddlewareHandler {
  const expected = Buffer.from(apiKey);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) {
      throw new ApiError(401, "missing API key; send the header Authorization: Bearer <key>", { type: "authentication_error", code: "missing_api_key" });
    }
    const got = Buffer.from(match[1]!.trim());
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new ApiError(401, "incorrect API key; check the key the server was started with", { type: "authentication_error", code: "invalid_api_key" });
    }
    return next();
  };
}
