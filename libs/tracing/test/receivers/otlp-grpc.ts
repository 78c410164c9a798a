import { Server, ServerCredentials, type Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { decodeOtlpProtobuf, emptyExportResponse, type OtlpTraces } from '@mesh/testkit';

export interface OtlpGrpcReceiver {
  port: number;
  exports: { metadata: Metadata; traces: OtlpTraces }[];
  close(): Promise<void>;
}

const traceService: ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: () => Buffer.from(emptyExportResponse()),
    responseDeserialize: (bytes: Buffer) => bytes,
  },
};

/** An OTLP/gRPC receiver implementing TraceService/Export with a real gRPC server. */
export async function startOtlpGrpcReceiver(): Promise<OtlpGrpcReceiver> {
  const server = new Server();
  const exports: OtlpGrpcReceiver['exports'] = [];
  server.addService(traceService, {
    Export: (
      call: { request: Buffer; metadata: Metadata },
      callback: (error: null, response: Buffer) => void,
    ) => {
      exports.push({ metadata: call.metadata, traces: decodeOtlpProtobuf(call.request) });
      callback(null, Buffer.alloc(0));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, exports, close: () => new Promise((done) => server.tryShutdown(() => done())) };
}
