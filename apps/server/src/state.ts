/** What the routes share: the served models, one scheduler per model, the store, the metrics and the reward model. */
import type { Store } from "@forno/db";
import type { ServerMetrics } from "./metrics/server-metrics.ts";
import type { ServedModel } from "./models.ts";
import { findModel } from "./request.ts";
import type { RewardScorer } from "./reward.ts";
import type { Scheduler } from "./scheduler.ts";

export interface ServerState {
  models: ReadonlyMap<string, ServedModel>;
  schedulers: ReadonlyMap<string, Scheduler>;
  store: Store;
  metrics: ServerMetrics;
  /** For best_of with rerank "reward"; null when the run has no reward model. */
  reward: RewardScorer | null;
}

export function lookupModel(state: ServerState, id: string): { model: ServedModel; scheduler: Scheduler } {
  const model = findModel(state.models, id);
  return { model, scheduler: state.schedulers.get(model.id)! };
}
