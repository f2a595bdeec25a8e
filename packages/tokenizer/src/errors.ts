/**
 * Typed errors for the tokenizer package. Each message says what was expected, what arrived and a
 * likely fix, so a failing CLI run or server request can be diagnosed from the message alone.
 * Callers that need to map errors (the server, the CLI) switch on the class, never on message text.
 */

/** Base class so callers can catch every tokenizer failure with one `instanceof`. */
export class TokenizerError extends Error {
  override name = "TokenizerError";
}

/** The text contains a special token's literal text and the caller did not allow it. */
export class DisallowedSpecialTokenError extends TokenizerError {
  override name = "DisallowedSpecialTokenError";
  constructor(
    readonly token: string,
    readonly index: number,
  ) {
    super(
      `expected text without special tokens, got "${token}" at character ${index}; ` +
        `pass { allowedSpecial: ["${token}"] } (or "all") to encode it as a special token, ` +
        `or { disallowedSpecial: [] } to encode it as ordinary text`,
    );
  }
}

/** A token id that is not in the vocabulary reached `decode`. */
export class UnknownTokenIdError extends TokenizerError {
  override name = "UnknownTokenIdError";
  constructor(
    readonly id: number,
    readonly position: number,
  ) {
    super(
      `expected token ids that exist in the vocabulary, got ${id} at position ${position}; ` +
        `check that the ids were produced by this same vocabulary`,
    );
  }
}

/** The pieces handed to `new Tokenizer` do not form a usable byte-level vocabulary. */
export class InvalidVocabularyError extends TokenizerError {
  override name = "InvalidVocabularyError";
}

/** A vocabulary file on disk is corrupt or truncated; names the file and the 1-based line. */
export class VocabularyFileError extends TokenizerError {
  override name = "VocabularyFileError";
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

/** A chat conversation does not have the `{ messages: [{ role, content }] }` shape. */
export class ChatFormatError extends TokenizerError {
  override name = "ChatFormatError";
}

/** Training options or input cannot produce a vocabulary. */
export class TrainingError extends TokenizerError {
  override name = "TrainingError";
}
