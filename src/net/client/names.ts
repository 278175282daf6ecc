/** Reserved topic and group names clients use (MixAll.java). */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
export const DEFAULT_TOPIC = 'TBW102';
export const TOOLS_CONSUMER_GROUP = 'TOOLS_CONSUMER';
export const CLIENT_INNER_PRODUCER_GROUP = 'CLIENT_INNER_PRODUCER';
export const DEFAULT_CONSUMER_GROUP = 'DEFAULT_CONSUMER';

export function retryTopic(group: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + group;
}

export function isRetryTopic(topic: string): boolean {
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
}

export function isSystemTopicName(topic: string): boolean {
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);
}
