/** Hono environment shared by the middleware and routes: the JSON body parsed once by `jsonBody`. */
export interface AppEnv {
  Variables: { body: unknown };
}
