/** What the routes share: the served models, one scheduler per model, and the store. */
import type { Store } from "@forno/db";
import type { ServedModel } from "./models.ts";
import { findModel } from "./request.ts";
import type { Scheduler } from "./scheduler.ts";

export interface ServerState {
  models: ReadonlyMap<string, ServedModel>;
  schedulers: ReadonlyMap<string, Scheduler>;
  store: Store;
}

export function lookupModel(state: ServerState, id: string): { model: ServedModel; scheduler: Scheduler } {
  const model = findModel(state.models, id);
  return { model, scheduler: state.schedulers.get(model.id)! };
}
