import { RemotingCommand } from '../remoting-command.js';
import { RequestCode } from '../codes.js';
import { encodeRegisterBrokerBody, registerBodyCrc32, type RegisterBrokerBody } from './register-broker-body.js';

export interface RegisterBrokerHeader {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
}

/**
 * REGISTER_BROKER (103) as BrokerOuterAPI.registerBrokerAll builds it: header fields in Java's
 * order, `compressed`, and `bodyCrc32` = CRC32 of the (possibly compressed) body with the sign bit
 * cleared, which the NameServer checks. Send it with invoke, or oneway as brokers also do.
 */
export function createRegisterBrokerRequest(
  header: RegisterBrokerHeader,
  body: RegisterBrokerBody,
  opts: { compressed?: boolean } = {},
): RemotingCommand {
  const compressed = opts.compressed === true;
  const bytes = encodeRegisterBrokerBody(body, compressed);
  return RemotingCommand.createRequest(
    RequestCode.REGISTER_BROKER,
    {
      brokerId: header.brokerId,
      bodyCrc32: registerBodyCrc32(bytes),
      clusterName: header.clusterName,
      brokerAddr: header.brokerAddr,
      haServerAddr: header.haServerAddr,
      compressed,
      brokerName: header.brokerName,
    },
    bytes,
  );
}
