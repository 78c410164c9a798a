import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { TBufferedTransport, TCompactProtocol, Thrift, type Int64 } from 'thrift';

type ThriftValue = string | number | boolean | ThriftStruct | ThriftValue[];
interface ThriftStruct {
  [fieldId: number]: ThriftValue;
}

function readValue(protocol: TCompactProtocol, type: Thrift.Type): ThriftValue {
  switch (type) {
    case Thrift.Type.STRUCT:
      return readStruct(protocol);
    case Thrift.Type.STRING:
      return protocol.readString();
    case Thrift.Type.I64:
      return (protocol.readI64() as Int64).toOctetString();
    case Thrift.Type.I32:
      return protocol.readI32();
    case Thrift.Type.BOOL:
      return protocol.readBool();
    case Thrift.Type.DOUBLE:
      return protocol.readDouble();
    case Thrift.Type.LIST: {
      const list = protocol.readListBegin();
      const values: ThriftValue[] = [];
      for (let index = 0; index < list.size; index += 1) values.push(readValue(protocol, list.etype));
      protocol.readListEnd();
      return values;
    }
    default:
      throw new Error(`unexpected thrift type ${type}`);
  }
}

function readStruct(protocol: TCompactProtocol): ThriftStruct {
  protocol.readStructBegin();
  const fields: ThriftStruct = {};
  for (;;) {
    const field = protocol.readFieldBegin();
    if (field.ftype === Thrift.Type.STOP) break;
    fields[field.fid] = readValue(protocol, field.ftype);
    protocol.readFieldEnd();
  }
  protocol.readStructEnd();
  return fields;
}

export interface DecodedJaegerSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  operationName: string;
  tags: Record<string, ThriftValue>;
}

export interface DecodedJaegerBatch {
  method: string;
  messageType: number;
  serviceName: string;
  processTags: Record<string, ThriftValue>;
  spans: DecodedJaegerSpan[];
}

function tagsOf(list: ThriftValue | undefined): Record<string, ThriftValue> {
  const tags: Record<string, ThriftValue> = {};
  for (const tag of (list ?? []) as ThriftStruct[]) {
    const value = tag[3] ?? tag[4] ?? tag[5] ?? tag[6];
    if (value !== undefined) tags[String(tag[1])] = value;
  }
  return tags;
}

/** Decodes one agent datagram (`Agent.emitBatch` in Thrift compact) without generated code. */
export function decodeEmitBatch(datagram: Buffer): DecodedJaegerBatch {
  let decoded: DecodedJaegerBatch | undefined;
  TBufferedTransport.receiver((transport) => {
    const protocol = new TCompactProtocol(transport);
    const message = protocol.readMessageBegin();
    const args = readStruct(protocol);
    protocol.readMessageEnd();
    const batch = args[1] as ThriftStruct;
    const processStruct = batch[1] as ThriftStruct;
    decoded = {
      method: message.fname,
      messageType: message.mtype,
      serviceName: String(processStruct[1]),
      processTags: tagsOf(processStruct[2]),
      spans: ((batch[2] ?? []) as ThriftStruct[]).map((span) => ({
        traceId: `${String(span[2])}${String(span[1])}`,
        spanId: String(span[3]),
        parentSpanId: String(span[4]),
        operationName: String(span[5]),
        tags: tagsOf(span[10]),
      })),
    };
  }, 0)(datagram);
  if (!decoded) throw new Error('no thrift message in the datagram');
  return decoded;
}

export interface JaegerUdpReceiver {
  port: number;
  batches: DecodedJaegerBatch[];
  close(): Promise<void>;
}

/** A Jaeger agent stand-in: a UDP socket that decodes every emitBatch datagram it receives. */
export function startJaegerUdpReceiver(): Promise<JaegerUdpReceiver> {
  const socket = createSocket('udp4');
  const batches: DecodedJaegerBatch[] = [];
  socket.on('message', (datagram) => batches.push(decodeEmitBatch(datagram)));
  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () => {
      resolve({
        port: (socket.address() as AddressInfo).port,
        batches,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}
