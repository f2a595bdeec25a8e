/**
 * Typed errors of the task helpers: a task file that does not match its documented format, a problem
 * generator asked for an impossible range, an evaluation whose generator broke its contract.
 */
import { ModelError } from "../errors.ts";

export class TaskError extends ModelError {
  override name = "TaskError";
}
