import { RequestCode, ResponseCode } from '../../codes.js';
import { parseFastjson, stringifyFastjson } from '../../fastjson.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optBool, optInt, optString, reqInt, reqString } from '../request-header.js';
import { decodeSubscriptionGroup } from '../subscription-group-manager.js';
import { PERM, topicConfig, topicConfigJson } from '../topic-config.js';
import { checkGroup, checkTopic, isSystemTopic } from '../topic-validator.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';

/**
 * Topic and group administration (RocketMQ's AdminBrokerProcessor): UPDATE_AND_CREATE_TOPIC (17),
 * GET_ALL_TOPIC_CONFIG (21), DELETE_TOPIC_IN_BROKER (215), UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
 * (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201), DELETE_SUBSCRIPTIONGROUP (207),
 * GET_SYSTEM_TOPIC_LIST_FROM_BROKER (305), and 5.x's GET_TOPIC_CONFIG (351) and
 * GET_SUBSCRIPTIONGROUP_CONFIG (352). Names are validated before anything touches the store.
 */
export function topicAdminProcessors(ctx: BrokerContext): ProcessorTable {
  const { logger } = ctx;
  return [
    [RequestCode.UPDATE_AND_CREATE_TOPIC, guarded(logger, 'create topic', (req) => updateAndCreateTopic(ctx, req))],
    [RequestCode.GET_ALL_TOPIC_CONFIG, guarded(logger, 'get all topic config', (req) =>
      success(req, undefined, jsonBody(stringifyFastjson(ctx.topics.serializeWrapper()))))],
    [RequestCode.DELETE_TOPIC_IN_BROKER, guarded(logger, 'delete topic', (req) => deleteTopic(ctx, req))],
    [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, guarded(logger, 'system topic list', (req) =>
      success(req, undefined, jsonBody(stringifyFastjson({ topicList: ctx.topics.systemTopics() }))))],
    // RocketMQ 5.x's single-item reads, which the 2.x dashboard uses to show one topic or group.
    [RequestCode.GET_TOPIC_CONFIG, guarded(logger, 'get topic config', (req) => {
      const topic = reqString(req.extFields, 'topic');
      const tc = ctx.topics.get(topic);
      if (!tc) throw new BrokerError(ResponseCode.TOPIC_NOT_EXIST, `No topic in this broker. topic: ${topic}`);
      return success(req, undefined, jsonBody(stringifyFastjson(topicConfigJson(tc))));
    })],
    [RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, guarded(logger, 'get group config', (req) => {
      const sg = ctx.groups.get(reqString(req.extFields, 'group'));
      if (!sg) throw new BrokerError(ResponseCode.SYSTEM_ERROR, 'No group in this broker');
      return success(req, undefined, jsonBody(stringifyFastjson(sg)));
    })],
    [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, guarded(logger, 'create group', async (req) => {
      let v: { groupName?: unknown };
      try {
        v = (parseFastjson(req.body?.toString('utf8') ?? '') ?? {}) as typeof v;
      } catch (e) {
        throw new BrokerError(ResponseCode.SYSTEM_ERROR, `subscription group body is not JSON: ${(e as Error).message}`, { cause: e });
      }
      const name = checkGroup(typeof v.groupName === 'string' ? v.groupName : undefined);
      const { config, problems } = decodeSubscriptionGroup(name, v);
      if (problems.length > 0) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `subscription group ${name}: ${problems.join('; ')}`);
      ctx.groups.upsert(config);
      await ctx.groups.persisted();
      return success(req);
    })],
    // RocketMQ 4.9.8's AdminBrokerProcessor.deleteExpiredCommitLog: arms the manual trigger only.
    [RequestCode.DELETE_EXPIRED_COMMITLOG, guarded(logger, 'delete expired commit log', (req) => {
      ctx.store.executeDeleteFilesManually();
      logger.info(`expired commit log files will be deleted on the next retention passes (asked by ${req.language} client)`);
      return success(req);
    })],
    [RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, guarded(logger, 'get all groups', (req) => success(req, undefined, jsonBody(ctx.groups.encode())))],
    [RequestCode.DELETE_SUBSCRIPTIONGROUP, guarded(logger, 'delete group', async (req) => {
      const group = checkGroup(reqString(req.extFields, 'groupName'));
      ctx.groups.delete(group);
      // cleanOffset (later RocketMQ, `deleteSubGroup -r true`): the group's committed offsets go too.
      if (optBool(req.extFields, 'cleanOffset')) ctx.offsets.removeGroup(group);
      await ctx.groups.persisted();
      return success(req);
    })],
  ];
}

// Admin changes are answered once written, as RocketMQ persists before it responds.
async function updateAndCreateTopic(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const topic = checkTopic(reqString(h, 'topic'));
  const filterType = optString(h, 'topicFilterType') ?? 'SINGLE_TAG';
  if (filterType !== 'SINGLE_TAG' && filterType !== 'MULTI_TAG') {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `topicFilterType ${filterType} is not SINGLE_TAG or MULTI_TAG`);
  }
  const perm = optInt(h, 'perm', PERM.READ | PERM.WRITE);
  if ((perm & ~0xf) !== 0) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `perm ${perm} is not a permission`);
  ctx.topics.upsert(
    topicConfig(topic, {
      readQueueNums: reqInt(h, 'readQueueNums'),
      writeQueueNums: reqInt(h, 'writeQueueNums'),
      perm,
      topicFilterType: filterType,
      topicSysFlag: optInt(h, 'topicSysFlag', 0),
      order: optBool(h, 'order'),
    }),
  );
  await ctx.topics.persisted();
  ctx.logger.info(`topic ${topic} created/updated by ${req.language} client`);
  return success(req);
}

async function deleteTopic(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const topic = checkTopic(reqString(req.extFields, 'topic'));
  if (isSystemTopic(topic)) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `The topic[${topic}] is conflict with system topic.`);
  ctx.topics.delete(topic);
  ctx.store.deleteTopics([topic]);
  ctx.offsets.removeTopic(topic);
  await ctx.topics.persisted();
  ctx.logger.info(`topic ${topic} deleted`);
  return success(req);
}
