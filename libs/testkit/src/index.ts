export { freePort } from './ports';
export { waitFor, waitForHttpOk } from './wait';
export {
  startProcess,
  startService,
  serviceBin,
  serviceNodeFlags,
  repoRoot,
  type ProcessOptions,
  type RunningProcess,
  type ServiceName,
} from './process';
export {
  decodeOtlpTraces,
  decodeOtlpProtobuf,
  emptyExportResponse,
  anyValueOf,
  attributesOf,
} from './otlp/decode';
export { traceProto } from './otlp/trace-proto';
export * from './otlp/types';
export {
  startHttpRecorder,
  type HttpRecorder,
  type RecordedRequest,
  type RecorderAnswer,
} from './receivers/http-recorder';
export { startOtlpHttpReceiver, type OtlpHttpReceiver } from './receivers/otlp-http';
export { sdkStatusOf } from './sdk-status';
