/**
 * Compares a set of named tensors against paramShapes(config) and reports every difference in one
 * CheckpointError (missing, unexpected, wrong shape, wrong dtype), so a mismatched checkpoint is
 * diagnosed in one run instead of one name per run. Shared by checkpoint loading/saving and the
 * Hugging Face bridge.
 */
import { paramShapes, type GPTConfig } from "./config.ts";
import { CheckpointError } from "./errors.ts";

const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

export const describeConfig = (c: GPTConfig) =>
  `V ${c.vocabSize}, T ${c.contextLength}, L ${c.nLayer}, NH ${c.nHead}, C ${c.nEmbd}, bias ${c.bias}`;

/**
 * Throws if `got` differs from the config's parameters. `dtypeOf` returns an entry's dtype; entries
 * whose dtype is not in `dtypes` are reported. `source` names the file or argument in the message.
 */
export function checkParams<E extends { shape: readonly number[] }>(
  source: string,
  config: GPTConfig,
  got: ReadonlyMap<string, E>,
  dtypes: { of: (entry: E) => string; allowed: readonly string[] },
): void {
  const problems: string[] = [];
  const expected = paramShapes(config);
  const names = new Set(expected.map((p) => p.name));
  for (const { name, shape } of expected) {
    const entry = got.get(name);
    if (!entry) {
      problems.push(`missing ${name} ${fmt(shape)}`);
      continue;
    }
    if (fmt(entry.shape) !== fmt(shape)) problems.push(`${name}: expected ${fmt(shape)}, got ${fmt(entry.shape)}`);
    const dtype = dtypes.of(entry);
    if (!dtypes.allowed.includes(dtype)) problems.push(`${name}: expected dtype ${dtypes.allowed.join(" or ")}, got ${dtype}`);
  }
  for (const [name, entry] of got) if (!names.has(name)) problems.push(`unexpected ${name} ${fmt(entry.shape)}`);
  if (problems.length === 0) return;
  throw new CheckpointError(
    `${source} does not match the config (${describeConfig(config)}): ${problems.length} difference${problems.length === 1 ? "" : "s"}:\n  ` +
      problems.join("\n  ") +
      "\nLikely fix: use the config the parameters were made with (a checkpoint's config.json), or re-export them for this config.",
  );
}
