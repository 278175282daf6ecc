/**
 * Public API of the RocketMQ 4.x client: producer, push and pull consumers, admin, and the types
 * they use. Applications import from here only.
 */
export { Producer, type ProducerOptions, type SendOptions, type SendCallback, type MessageQueueSelector } from './producer.js';
export { TransactionProducer, type TransactionListener, type TransactionSendResult, type TransactionProducerOptions, type LocalTransactionState } from './transaction-producer.js';
export { PushConsumer, type PushConsumerOptions } from './push-consumer.js';
export type { MessageListenerOrderly, ConsumeOrderlyContext, ConsumeOrderlyStatus } from './consume-orderly-service.js';
export { PullConsumer, type PullConsumerOptions } from './pull-consumer.js';
export { LitePullConsumer, type LitePullConsumerOptions } from './lite-pull-consumer.js';
export { MQAdmin, type AdminOptions, type TopicOffset, type ConsumeProgress, type ConsumerConnection, type RollbackStats, type BrokerStatsData } from './admin.js';
export { AclAdmin, type PlainAccessConfig, type AclVersionInfo } from './acl-admin.js';
export { MaintenanceAdmin, type WritePermResult, type QueueTimeSpan, type ConsumeQueueView, type BrokerTarget } from './maintenance-admin.js';
export { type ConsumerRunningInfo, type ProcessQueueInfo, RUNNING_INFO_PROP } from './consumer-running-info.js';
export type { TopicConsumeStatus } from './consumer-stats.js';
export { Message, type MessageOptions, type MessageExt, decodeMessageExts } from './message.js';
export { createReplyMessage } from './request-reply.js';
export type { ConsumeMessageDirectlyResult } from './consume-directly.js';
export { type MessageQueue, messageQueue, mqKey, compareMessageQueue, formatMessageQueue } from './message-queue.js';
export type { SendResult, SendStatus } from './send-request.js';
export type { PullResult, PullStatus } from './pull-api.js';
export type { ConsumeStatus, ConsumeContext, MessageListener } from './consume-service.js';
export type { SubscriptionGroupInput, TopicConfigInput } from './broker-api.js';
export { type TopicRouteData, type QueueData, type BrokerData, type ClusterInfo, permToString, PERM_READ, PERM_WRITE, PERM_INHERIT, MASTER_ID } from './route.js';
export { allocateAveragely, allocateAveragelyByCircle, allocateConsistentHash, allocateByConfig, allocateByMachineRoom, allocateMachineRoomNearby, type AllocateStrategy, type MachineRoomResolver } from './rebalance.js';
export { createUniqId, parseUniqId } from './message-id.js';
export { selectMessageQueueByHash, selectMessageQueueByRandom } from './queue-selectors.js';
export { encodeBatchBody, decodeBatchBody } from './message-batch.js';
export { buildSubscriptionData, MessageSelector, type SubscriptionData } from './subscription.js';
export { CLIENT_DEFAULTS, PRODUCER_DEFAULTS, CONSUMER_DEFAULTS, type ClientConfig, type ProducerConfig, type ConsumerConfig, type ConsumeFromWhere } from './client-config.js';
export { MQClientError, type ClientErrorCode } from './errors.js';
export { RETRY_GROUP_TOPIC_PREFIX, DLQ_GROUP_TOPIC_PREFIX, TOOLS_CONSUMER_GROUP, retryTopic } from './names.js';
