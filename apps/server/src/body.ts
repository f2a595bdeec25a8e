/**
 * Reads a POST body once, at the edge: refuses bodies over `maxBytes` (413, checked on Content-Length first
 * and again on the bytes that arrive, since chunked uploads have no length), refuses bytes that are not
 * UTF-8 (400; a lenient decode would silently turn them into U+FFFD and store text the user never sent),
 * then parses JSON (400). Routes read the result with `c.get("body")` and validate it with zod.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";

export function jsonBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (got: string) =>
    new ApiError(413, `request body is ${got} bytes, over the limit of ${maxBytes} bytes; send a shorter prompt or raise maxBodyBytes`, {
      code: "body_too_large",
    });
  return async (c, next) => {
    if (c.req.method !== "POST") return next();
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > maxBytes) throw tooLarge(String(declared));
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge(String(bytes.byteLength));
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ApiError(400, "request body is not valid UTF-8; encode the JSON body as UTF-8", { code: "invalid_utf8" });
    }
    try {
      c.set("body", JSON.parse(text));
    } catch (err) {
      throw new ApiError(400, `request body is not valid JSON (${(err as Error).message}); send a JSON object with Content-Type: application/json`, {
        code: "invalid_json",
      });
    }
    return next();
  };
}
