/**
 * Hono environment shared by the middleware and routes: the JSON body parsed once by `jsonBody`, and
 * `streamEnded`, which a streamed reply calls when its last byte has been handed on (or the client left):
 * the metrics middleware times streams by it.
 */
export interface AppEnv {
  Variables: { body: unknown; streamEnded?: () => void };
}
