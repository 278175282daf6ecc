import { findProperty, recordLayout, type MessageFilter } from '../../store/index.js';
import { compileSql92, SqlFilterError } from './sql-filter.js';
import { parseTagExpression, SUB_ALL, type SubscriptionData } from '../subscription.js';
import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';

export { SUB_ALL, subscriptionJson, type SubscriptionData } from '../subscription.js';

/** FilterAPI.build: a TAG expression parsed into tags and codes, or an SQL92 one checked by compiling it. */
export function buildSubscription(topic: string, subString: string | undefined, expressionType = 'TAG', subVersion = Date.now()): SubscriptionData {
  if (expressionType === 'SQL92') {
    sqlPredicate(subString ?? '');
    return { topic, subString: subString ?? '', tagsSet: [], codeSet: [], subVersion, expressionType, classFilterMode: false };
  }
  if (expressionType && expressionType !== 'TAG') {
    throw new BrokerError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `expression type ${expressionType} is not supported (TAG or SQL92)`);
  }
  const sub = parseTagExpression(topic, subString, subVersion);
  if (!sub) throw new BrokerError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `subscription "${subString}" has no tags`);
  return sub;
}

/** Normalizes a heartbeat's subscription entry (fields may be missing or mistyped). */
export function subscriptionFromHeartbeat(v: unknown): SubscriptionData | null {
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o.topic !== 'string') return null;
  const subString = typeof o.subString === 'string' ? o.subString : SUB_ALL;
  const subVersion = typeof o.subVersion === 'number' ? o.subVersion : Number(o.subVersion ?? 0) || 0;
  const expressionType = typeof o.expressionType === 'string' ? o.expressionType : 'TAG';
  if (expressionType !== 'TAG') {
    return { topic: o.topic, subString, tagsSet: [], codeSet: [], subVersion, expressionType, classFilterMode: false };
  }
  // Rebuild codes from the expression rather than trusting the client's list.
  return buildSubscription(o.topic, subString, 'TAG', subVersion);
}

const MATCH_ALL: MessageFilter = { isMatchedByConsumeQueue: () => true };

const compiled = new Map<string, (props: (name: string) => string | undefined) => boolean>();

/** A compiled SQL92 expression (cached: every pull of a group asks for the same few). */
function sqlPredicate(expression: string): (props: (name: string) => string | undefined) => boolean {
  let p = compiled.get(expression);
  if (p) return p;
  try {
    p = compileSql92(expression);
  } catch (e) {
    if (e instanceof SqlFilterError) throw new BrokerError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `bad SQL92 expression "${expression}": ${e.message}`, { cause: e });
    throw e;
  }
  if (compiled.size >= 1024) compiled.clear();
  compiled.set(expression, p);
  return p;
}

/**
 * ExpressionMessageFilter: for TAG, `*` matches all, else the tag code must be in the set; for
 * SQL92, every queue unit passes and the record's properties decide.
 */
export function messageFilter(sub: SubscriptionData | null): MessageFilter {
  if (sub?.expressionType !== 'SQL92') return tagFilter(sub);
  const test = sqlPredicate(sub.subString);
  return {
    isMatchedByConsumeQueue: () => true,
    isMatchedByCommitLog: (record) => {
      const L = recordLayout(record, 0);
      const len = record.readInt16BE(L.propsLenAt);
      const props = len > 0 ? record.toString('utf8', L.propsLenAt + 2, L.propsLenAt + 2 + len) : '';
      return test((name) => findProperty(props, name));
    },
  };
}

function tagFilter(sub: SubscriptionData | null): MessageFilter {
  if (!sub || sub.subString === SUB_ALL || sub.codeSet.length === 0) return MATCH_ALL;
  if (sub.codeSet.length === 1) {
    const code = sub.codeSet[0]!;
    return { isMatchedByConsumeQueue: (tagsCode) => tagsCode === code };
  }
  const codes = new Set(sub.codeSet);
  return { isMatchedByConsumeQueue: (tagsCode) => codes.has(tagsCode) };
}
