import { Int64, TBufferedTransport, TCompactProtocol, Thrift } from 'thrift';

/** jaeger.thrift TagType. */
export enum TagType {
  STRING = 0,
  DOUBLE = 1,
  BOOL = 2,
  LONG = 3,
}

export interface JaegerTag {
  key: string;
  value: string | number | boolean;
}

export interface JaegerLog {
  timestampMicros: number;
  fields: JaegerTag[];
}

export interface JaegerSpan {
  /** 32 hex digits. */
  traceId: string;
  /** 16 hex digits. */
  spanId: string;
  /** 16 hex digits, or all zeros for a root. */
  parentSpanId: string;
  operationName: string;
  flags: number;
  startMicros: number;
  durationMicros: number;
  tags: JaegerTag[];
  logs: JaegerLog[];
}

export interface JaegerBatch {
  serviceName: string;
  processTags: JaegerTag[];
  spans: JaegerSpan[];
}

const i64FromHex = (hex: string): Int64 => new Int64(Buffer.from(hex.padStart(16, '0'), 'hex'));

function writeTag(protocol: TCompactProtocol, tag: JaegerTag): void {
  protocol.writeStructBegin('Tag');
  protocol.writeFieldBegin('key', Thrift.Type.STRING, 1);
  protocol.writeString(tag.key);
  protocol.writeFieldEnd();
  const { value } = tag;
  if (typeof value === 'boolean') {
    protocol.writeFieldBegin('vType', Thrift.Type.I32, 2);
    protocol.writeI32(TagType.BOOL);
    protocol.writeFieldEnd();
    protocol.writeFieldBegin('vBool', Thrift.Type.BOOL, 5);
    protocol.writeBool(value);
  } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
    protocol.writeFieldBegin('vType', Thrift.Type.I32, 2);
    protocol.writeI32(TagType.LONG);
    protocol.writeFieldEnd();
    protocol.writeFieldBegin('vLong', Thrift.Type.I64, 6);
    protocol.writeI64(value);
  } else if (typeof value === 'number') {
    protocol.writeFieldBegin('vType', Thrift.Type.I32, 2);
    protocol.writeI32(TagType.DOUBLE);
    protocol.writeFieldEnd();
    protocol.writeFieldBegin('vDouble', Thrift.Type.DOUBLE, 4);
    protocol.writeDouble(value);
  } else {
    protocol.writeFieldBegin('vType', Thrift.Type.I32, 2);
    protocol.writeI32(TagType.STRING);
    protocol.writeFieldEnd();
    protocol.writeFieldBegin('vStr', Thrift.Type.STRING, 3);
    protocol.writeString(value);
  }
  protocol.writeFieldEnd();
  protocol.writeFieldStop();
  protocol.writeStructEnd();
}

function writeTagList(protocol: TCompactProtocol, name: string, id: number, tags: JaegerTag[]): void {
  protocol.writeFieldBegin(name, Thrift.Type.LIST, id);
  protocol.writeListBegin(Thrift.Type.STRUCT, tags.length);
  for (const tag of tags) writeTag(protocol, tag);
  protocol.writeListEnd();
  protocol.writeFieldEnd();
}

function writeI64Field(protocol: TCompactProtocol, name: string, id: number, value: number | Int64): void {
  protocol.writeFieldBegin(name, Thrift.Type.I64, id);
  protocol.writeI64(value);
  protocol.writeFieldEnd();
}

function writeSpan(protocol: TCompactProtocol, span: JaegerSpan): void {
  protocol.writeStructBegin('Span');
  const traceId = span.traceId.padStart(32, '0');
  writeI64Field(protocol, 'traceIdLow', 1, i64FromHex(traceId.slice(16)));
  writeI64Field(protocol, 'traceIdHigh', 2, i64FromHex(traceId.slice(0, 16)));
  writeI64Field(protocol, 'spanId', 3, i64FromHex(span.spanId));
  writeI64Field(protocol, 'parentSpanId', 4, i64FromHex(span.parentSpanId));
  protocol.writeFieldBegin('operationName', Thrift.Type.STRING, 5);
  protocol.writeString(span.operationName);
  protocol.writeFieldEnd();
  protocol.writeFieldBegin('flags', Thrift.Type.I32, 7);
  protocol.writeI32(span.flags);
  protocol.writeFieldEnd();
  writeI64Field(protocol, 'startTime', 8, span.startMicros);
  writeI64Field(protocol, 'duration', 9, span.durationMicros);
  writeTagList(protocol, 'tags', 10, span.tags);
  protocol.writeFieldBegin('logs', Thrift.Type.LIST, 11);
  protocol.writeListBegin(Thrift.Type.STRUCT, span.logs.length);
  for (const log of span.logs) {
    protocol.writeStructBegin('Log');
    writeI64Field(protocol, 'timestamp', 1, log.timestampMicros);
    writeTagList(protocol, 'fields', 2, log.fields);
    protocol.writeFieldStop();
    protocol.writeStructEnd();
  }
  protocol.writeListEnd();
  protocol.writeFieldEnd();
  protocol.writeFieldStop();
  protocol.writeStructEnd();
}

/**
 * One UDP datagram of the Jaeger agent protocol: the oneway call `Agent.emitBatch(batch)` in Thrift
 * compact encoding, which is what jaeger-agent and Jaeger v2's agent receiver read on 6831/udp.
 */
export function encodeEmitBatch(batch: JaegerBatch, seqId: number): Buffer {
  const chunks: Buffer[] = [];
  const transport = new TBufferedTransport(undefined, (message) => {
    if (message) chunks.push(message);
  });
  const protocol = new TCompactProtocol(transport);
  protocol.writeMessageBegin('emitBatch', Thrift.MessageType.ONEWAY, seqId);
  protocol.writeStructBegin('Agent_emitBatch_args');
  protocol.writeFieldBegin('batch', Thrift.Type.STRUCT, 1);
  protocol.writeStructBegin('Batch');
  protocol.writeFieldBegin('process', Thrift.Type.STRUCT, 1);
  protocol.writeStructBegin('Process');
  protocol.writeFieldBegin('serviceName', Thrift.Type.STRING, 1);
  protocol.writeString(batch.serviceName);
  protocol.writeFieldEnd();
  writeTagList(protocol, 'tags', 2, batch.processTags);
  protocol.writeFieldStop();
  protocol.writeStructEnd();
  protocol.writeFieldEnd();
  protocol.writeFieldBegin('spans', Thrift.Type.LIST, 2);
  protocol.writeListBegin(Thrift.Type.STRUCT, batch.spans.length);
  for (const span of batch.spans) writeSpan(protocol, span);
  protocol.writeListEnd();
  protocol.writeFieldEnd();
  protocol.writeFieldStop();
  protocol.writeStructEnd();
  protocol.writeFieldEnd();
  protocol.writeFieldStop();
  protocol.writeStructEnd();
  protocol.writeMessageEnd();
  protocol.flush();
  return Buffer.concat(chunks);
}
