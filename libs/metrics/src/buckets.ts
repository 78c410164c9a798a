/** The OpenTelemetry semantic conventions' advisory bucket boundaries for HTTP and database durations, in seconds. */
export const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** HTTP methods the conventions name; any other becomes `_OTHER`, so a client cannot mint label values. */
const knownMethods = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

export const methodLabel = (method: string | undefined): string => {
  const upper = (method ?? '').toUpperCase();
  return knownMethods.has(upper) ? upper : '_OTHER';
};
