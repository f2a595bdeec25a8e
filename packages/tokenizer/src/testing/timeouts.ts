/**
 * Timeout for tests that build full GPT-2 / cl100k vocabularies, train, or spawn the CLI: about a
 * second each on an idle 2-core machine, but bun's 5 s default fails them when other jobs share it.
 */
export const HEAVY_TEST_MS = 60_000;
