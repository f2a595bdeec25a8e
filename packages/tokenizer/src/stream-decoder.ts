/**
 * Incremental decoding for server streaming: tokens arrive one at a time and may split a UTF-8
 * character (an emoji is often 2–4 byte-level tokens). `push` returns only complete characters and
 * holds the partial tail; `flush` ends the stream, rendering a dangling partial character as U+FFFD.
 */

import type { Tokenizer } from "./tokenizer.ts";

export class StreamDecoder {
  private readonly utf8 = new TextDecoder("utf-8", { ignoreBOM: true }); // keep a leading U+FEFF

  constructor(private readonly tokenizer: Tokenizer) {}

  /** Text completed by these tokens; "" while a character is still partial. */
  push(ids: number | ArrayLike<number>): string {
    const bytes = this.tokenizer.decodeBytes(typeof ids === "number" ? [ids] : ids);
    return this.utf8.decode(bytes, { stream: true });
  }

  /** Ends the stream and resets the decoder for reuse. */
  flush(): string {
    return this.utf8.decode();
  }
}
