/**
 * Typed errors of the SFT data path. A bad line in a conversations file is reported with its file and
 * line so it can be fixed in an editor; a batcher asked for something its data cannot give says what
 * it has. Both extend ModelError, so the trainer can catch every model-package failure at once.
 */
import { ModelError } from "../errors.ts";

/** A conversations file (or one line of it) that cannot be read as SFT data. */
export class SftDataError extends ModelError {
  override name = "SftDataError";
}

/** A batcher option, cursor or request that does not fit the data it was built on. */
export class SftBatchError extends ModelError {
  override name = "SftBatchError";
}
