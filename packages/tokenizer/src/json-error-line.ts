/**
 * Finds the line of the first JSON syntax error. JavaScriptCore's JSON.parse reports only
 * "Unexpected EOF" with no position, and a vocabulary loader must name the failing line, so this
 * small recursive-descent checker walks the text the way the grammar does and stops at the fault.
 */

/** 1-based line of the first syntax error in `text` (call it only after JSON.parse failed). */
export function jsonErrorLine(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i])) i++;
  };
  const expect = (ok: boolean) => {
    if (!ok) throw i;
  };
  const string = () => {
    expect(text[i] === '"');
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    expect(i < text.length);
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === "{") {
          ws();
          string();
          ws();
          expect(text[i] === ":");
          i++;
        }
        value();
        ws();
        if (text[i] === close) return void i++;
        expect(text[i] === ",");
        i++;
      }
    }
    if (c === '"') return string();
    const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    expect(m !== null);
    i += m![0].length;
  };
  try {
    value();
    ws();
    expect(i === text.length);
  } catch (at) {
    if (typeof at !== "number") throw at;
  }
  return text.slice(0, Math.min(i, text.length)).split("\n").length;
}
