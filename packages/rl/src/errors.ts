/** Typed errors of @forno/rl: bad preference data, and non-finite losses or rewards (the guard rail). */

export class RlError extends Error {
  override name = "RlError";
}

/** A preference record that cannot be parsed; names the line and what was expected. */
export class PreferenceDataError extends RlError {
  override name = "PreferenceDataError";
}

/** A loss, reward or statistic is NaN or ±inf: the step is abandoned and the caller keeps its last good checkpoint. */
export class NonFiniteError extends RlError {
  override name = "NonFiniteError";
  constructor(
    readonly what: string,
    readonly step: number,
    readonly value: number,
  ) {
    super(`${what} is ${value} at step ${step}: the step was not applied; keep the last good checkpoint and lower the learning rate or check the rewards`);
  }
}

/** Throws NonFiniteError naming `what` and the step when any value is NaN or ±inf. */
export function assertFinite(what: string, step: number, values: Iterable<number>): void {
  for (const v of values) if (!Number.isFinite(v)) throw new NonFiniteError(what, step, v);
}
