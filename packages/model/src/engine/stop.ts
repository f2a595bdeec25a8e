/**
 * Stop sequences on token ids, for streaming: a sequence's newest tokens are held back while they could
 * still be the start of a stop sequence, so a stream never shows tokens that a later match removes.
 * A completed match is cut from the output, like OpenAI's `stop`.
 */
export class StopMatcher {
  private readonly stops: readonly number[][];

  constructor(stops: readonly number[][] = []) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Length of the stop sequence that `tokens` ends with, or 0. */
  matched(tokens: readonly number[]): number {
    for (const s of this.stops) if (s.length <= tokens.length && s.every((t, i) => tokens[tokens.length - s.length + i] === t)) return s.length;
    return 0;
  }

  /** How many trailing tokens could still grow into a stop sequence (and must not be emitted yet). */
  pending(tokens: readonly number[]): number {
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, tokens.length); k > hold; k--) {
        let prefix = true;
        for (let i = 0; i < k && prefix; i++) prefix = tokens[tokens.length - k + i] === s[i];
        if (prefix) {
          hold = k;
          break;
        }
      }
    }
    return hold;
  }
}
