import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../service-config';

/** The least of a Kubernetes object these tests read; the schema validation covers the rest. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export const k8sRoot = join(repoRoot, 'infra', 'k8s');

/**
 * `kubectl kustomize` of an overlay, as the README says to run it. LoadRestrictionsNone: the services'
 * config files are the compose stack's, outside infra/k8s.
 */
export function buildOverlay(overlay: 'dev' | 'prod'): K8sObject[] {
  const yaml = execFileSync(
    'kubectl',
    ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', join(k8sRoot, 'overlays', overlay)],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  return parseAllDocuments(yaml)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

/** The kubernetes-models class of an object (`apps/v1` Deployment → kubernetes-models/apps/v1/Deployment). */
export function validateObject(object: K8sObject): void {
  // The package is laid out by API group and version: one module per kind.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`kubernetes-models/${object.apiVersion}/${object.kind}`) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[object.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
  new Model(secretDataUnwrapped(object)).validate();
}

/**
 * kustomize writes a long Secret value as a block of base64 lines; the API server's decoder skips the line
 * breaks, the schema's `byte` format does not.
 */
function secretDataUnwrapped(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, string>).map(([key, value]) => [
      key,
      value.replace(/\n/g, ''),
    ]),
  );
  return { ...object, data };
}
