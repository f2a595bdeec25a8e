/**
 * Typed errors of @forno/db. Each message says what was expected, what arrived, and a likely fix; the server
 * maps them to HTTP statuses (NotFoundError → 404, ValidationError → 400, ConflictError → 409).
 */

export class DbError extends Error {
  override name = "DbError";
}

/** A referenced row (usually a response id + choice index) does not exist. */
export class NotFoundError extends DbError {
  override name = "NotFoundError";
}

/** An input is malformed (a rating other than -1/+1, a comparison of a response with itself, …). */
export class ValidationError extends DbError {
  override name = "ValidationError";
}

/** A row with the same key already exists (a response id + choice index saved twice). */
export class ConflictError extends DbError {
  override name = "ConflictError";
}

/** The store was closed; open a new one. */
export class StoreClosedError extends DbError {
  override name = "StoreClosedError";
}

/** The migrations could not be applied at start-up. */
export class MigrationError extends DbError {
  override name = "MigrationError";
}
