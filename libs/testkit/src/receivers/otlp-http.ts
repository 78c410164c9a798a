import { decodeOtlpTraces, emptyExportResponse } from '../otlp/decode';
import type { OtlpTraces } from '../otlp/types';
import { startHttpRecorder, type HttpRecorder, type RecordedRequest } from './http-recorder';

export interface OtlpHttpReceiver extends HttpRecorder {
  /** Every decoded `POST /v1/traces` body, with the request it came in. */
  exports(): { request: RecordedRequest; traces: OtlpTraces }[];
}

/** An OTLP/HTTP trace receiver (protobuf and JSON) that keeps everything it got, for tests. */
export async function startOtlpHttpReceiver(port = 0): Promise<OtlpHttpReceiver> {
  const recorder = await startHttpRecorder((request) => {
    if (request.method !== 'POST' || !request.url.startsWith('/v1/traces')) return { status: 404 };
    const json = (request.headers['content-type'] ?? '').includes('json');
    return json
      ? { status: 200, contentType: 'application/json', body: '{}' }
      : { status: 200, contentType: 'application/x-protobuf', body: emptyExportResponse() };
  }, port);
  return {
    ...recorder,
    exports: () =>
      recorder.requests
        .filter((request) => request.method === 'POST' && request.url.startsWith('/v1/traces'))
        .map((request) => ({
          request,
          traces: decodeOtlpTraces(request.body, request.headers['content-type']),
        })),
  };
}
