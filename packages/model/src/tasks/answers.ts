/**
 * Reading numbers out of free text, shared by the task checkers. Model outputs and worked solutions
 * write numbers with thousands commas ("1,080"), signs, decimals and trailing sentence periods ("is
 * 42."); a minus right after a digit, letter or ")" is an operator ("10-3"), not a sign.
 */

const NUMBER = /-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?/g;

/** Every number in `text`, in order, with commas removed. */
function numbersIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(NUMBER)) {
    let s = m[0];
    if (s.startsWith("-") && m.index > 0 && /[\w)]/.test(text[m.index - 1])) s = s.slice(1);
    out.push(Number(s.replaceAll(",", "")));
  }
  return out;
}

/** The last number in `text`, or null when there is none. */
export function lastNumber(text: string): number | null {
  const all = numbersIn(text);
  return all.length === 0 ? null : all[all.length - 1];
}

/** |got − want| within `tolerance`, relative for large answers and absolute below 1. */
export function numbersClose(got: number, want: number, tolerance = 1e-6): boolean {
  return Math.abs(got - want) <= tolerance * Math.max(1, Math.abs(want));
}
