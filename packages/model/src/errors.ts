/**
 * Typed errors of the model package. Each message names the file or field, what was expected, what
 * arrived and a likely fix, so a failed resume or a bad shard can be diagnosed from the message alone.
 * Callers that map errors (the trainer, the server) switch on the class, never on message text.
 */

/** Base class so callers can catch every model-package failure with one `instanceof`. */
export class ModelError extends Error {
  override name = "ModelError";
}

/** A GPTConfig (or an RNG state) that cannot describe a model: lists every problem at once. */
export class ConfigError extends ModelError {
  override name = "ConfigError";
}

/** A call on an engine after `close()` or `dispose()` (a server answers 503: it is shutting down). */
export class EngineClosedError extends ModelError {
  override name = "EngineClosedError";
}

/** A checkpoint, safetensors file or Hugging Face directory that is missing, corrupt or does not fit the config. */
export class CheckpointError extends ModelError {
  override name = "CheckpointError";
}

/** A token shard that is foreign, of an unsupported version, truncated, or a dataset that cannot serve a request. */
export class ShardError extends ModelError {
  override name = "ShardError";
}
