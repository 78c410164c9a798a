import { defineCounter } from '@mesh/metrics';
import { HttpError } from '@mesh/server';

/** `gateway.decisions`: one per access decision, by the matched rule and its outcome. */
const decisions = defineCounter(
  'gateway_decisions_total',
  'Access decisions of the gateway by rule (rule_id, absent when no rule matched) and result: allow, deny (a 4xx: unauthenticated, forbidden, no rule) or error (a 5xx: a handler or upstream check failed).',
  ['rule_id', 'result'],
);

/** Counts a decision: `failure` is what the pipeline threw, undefined when it allowed the request. */
export function countDecision(ruleId: string | undefined, failure: unknown): void {
  const result =
    failure === undefined ? 'allow' : failure instanceof HttpError && failure.status < 500 ? 'deny' : 'error';
  decisions.inc(ruleId === undefined ? { result } : { rule_id: ruleId, result });
}
