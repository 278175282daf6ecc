import { PROPERTY } from '../../store/index.js';
import { Message, type MessageExt } from './message.js';
import { retryTopic } from './names.js';

/**
 * What Java's DefaultMQPushConsumerImpl.sendMessageBack sends through the client's inner producer
 * when the broker refuses CONSUMER_SEND_MSG_BACK (or cannot be reached): the message, with all
 * its properties, to the group's retry topic, remembering its first id and topic, counting one
 * more redelivery and delayed by level 3 + the redeliveries so far. `originTopic` is the topic as
 * stored (in the consumer's namespace). The producer moves the two
 * counts into the request header, where the broker reads them to decide on the DLQ.
 */
export function retryMessage(msg: MessageExt, group: string, maxReconsumeTimes: number, originTopic = msg.topic): Message {
  const m = new Message(retryTopic(group), msg.body, { flag: msg.flag });
  for (const [k, v] of Object.entries(msg.properties)) m.properties.set(k, v);
  m.properties.set(PROPERTY.ORIGIN_MESSAGE_ID, msg.properties[PROPERTY.ORIGIN_MESSAGE_ID] || msg.msgId);
  m.properties.set(PROPERTY.RETRY_TOPIC, originTopic);
  m.properties.set(PROPERTY.RECONSUME_TIME, String(msg.reconsumeTimes + 1));
  m.properties.set(PROPERTY.MAX_RECONSUME_TIMES, String(maxReconsumeTimes));
  m.properties.delete(PROPERTY.TRAN_MSG);
  m.properties.set(PROPERTY.DELAY, String(3 + msg.reconsumeTimes));
  return m;
}
