import type { Histogram } from 'prom-client';
import type { ExemplarLabels } from './exemplar';

/** prom-client types exemplar labels like the metric's own labels; trace_id and span_id are neither. */
type AnyLabels = Record<string, string | number>;

export function observeHistogram(
  histogram: Histogram<string>,
  labels: AnyLabels,
  seconds: number,
  exemplar: ExemplarLabels | undefined,
): void {
  histogram.observe({ labels, value: seconds, exemplarLabels: exemplar as AnyLabels | undefined });
}
