/**
 * Public API of @forno/tokenizer: a byte-level BPE tokenizer compatible with tiktoken vocabularies,
 * its trainer, file formats, streaming decoder and chat template.
 */

export { Tokenizer } from "./tokenizer.ts";
export type { EncodeOptions, VocabularySpec } from "./tokenizer.ts";
export { StreamDecoder } from "./stream-decoder.ts";
export { PATTERN_SOURCES } from "./patterns.ts";
export type { Pattern, PatternName } from "./patterns.ts";
export { preTokenize } from "./pre-tokenize.ts";
export { trainTokenizer, trainTokenizerFromFiles, countChunks } from "./trainer.ts";
export type { TrainOptions, TrainResult } from "./trainer.ts";
export { bytesPerToken } from "./compression.ts";
export { saveTokenizer, loadTokenizer } from "./save-load.ts";
export { parseTiktokenRanks, formatTiktokenRanks } from "./tiktoken-file.ts";
export { loadGpt2Files } from "./gpt2-files.ts";
export { bytesToGpt2String, gpt2StringToBytes } from "./byte-unicode.ts";
export { renderConversation, renderPrompt } from "./chat-template.ts";
export type { ChatMessage, ChatRole, Conversation, RenderedConversation } from "./chat-template.ts";
export { CHAT_SPECIAL_TOKENS, ENDOFTEXT, ROLE_TOKENS } from "./special-tokens.ts";
export {
  TokenizerError,
  DisallowedSpecialTokenError,
  UnknownTokenIdError,
  InvalidVocabularyError,
  VocabularyFileError,
  ChatFormatError,
  TrainingError,
} from "./errors.ts";
