/**
 * Stop strings on decoded text. The engine stops on the strings' token sequences, but BPE may spell the same
 * text with other tokens once it follows other text, so the server also cuts the text at the first stop
 * string. For streaming, text that could still grow into a stop string is held back until it cannot.
 */
export class StopText {
  private held = "";
  private done = false;

  constructor(private readonly stops: readonly string[]) {}

  /** True once a stop string has appeared; later text is dropped. */
  get stopped(): boolean {
    return this.done;
  }

  /** Takes newly decoded text and returns what may be shown now. */
  push(text: string): string {
    if (this.done) return "";
    const buf = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.done = true;
      this.held = "";
      return buf.slice(0, cut);
    }
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, buf.length); k > hold; k--) {
        if (buf.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    this.held = buf.slice(buf.length - hold);
    return buf.slice(0, buf.length - hold);
  }

  /** The held-back text, at the end of generation (it never became a stop string). */
  flush(): string {
    const rest = this.done ? "" : this.held;
    this.held = "";
    return rest;
  }
}
