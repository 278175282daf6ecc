/**
 * Public API of the store library. Programs embedding the store import only from here; the
 * broker (src/net) does too.
 */
export * from './types.js';
export { DefaultMessageStore, type StoreOptions, type StoreLogger } from './message-store.js';
export { MemoryMessageStore } from './memory-store.js';
export { usesStagedWrites } from './commit-log.js';
export { cleanExpiredConsumeQueues, type CleanExpiredResult } from './clean-expired-queues.js';
export type { RemoteDispatcher, DispatchRequest } from './dispatch.js';
export type { PagePopulator } from './page-populator.js';
export type { HaTransport, HaMasterStart, HaSlaveStart, ReplicaStatus } from './ha.js';
export { HaMasterServer, type HaMasterOptions } from './ha-master.js';
export { HaSlaveClient, type HaSlaveOptions } from './ha-slave.js';
export { InProcessHa } from './ha-in-process.js';
export * from './errors.js';
export { STORE_DEFAULTS, storeConfig, loadStoreConfig, type StoreConfig } from './config.js';
export { applyConfig, type SchemaOptions } from './config-schema.js';
export { parsePropertiesText, rewritePropertiesFile } from './properties-file.js';
export { ShutdownSteps } from './shutdown-steps.js';
export * from './file-names.js';
export * from './properties.js';
export { javaStringHashCode, tagsCodeOf } from './java-hash.js';
export {
  MESSAGE_MAGIC,
  BLANK_MAGIC,
  calMsgLength,
  bodyCrc,
  encodeMessage,
  decodeMessage,
  decodeMessages,
  recordLayout,
  createOffsetMsgId,
  decodeOffsetMsgId,
  parseHostAddress,
  hostToString,
  SYSFLAG_COMPRESSED,
  SYSFLAG_MULTI_TAGS,
  SYSFLAG_TRANSACTION_MASK,
  TRANSACTION_NOT_TYPE,
  TRANSACTION_PREPARED_TYPE,
  TRANSACTION_COMMIT_TYPE,
  TRANSACTION_ROLLBACK_TYPE,
} from './message-codec.js';
