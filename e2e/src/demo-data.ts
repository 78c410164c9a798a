/**
 * The demo's data, shared by the seed, the end-to-end tests and the secret scan (which searches every span
 * and log line for these passwords).
 */
export const demoUsers = {
  alice: { email: 'alice@example.com', password: 'alice-Demo-passw0rd' },
  bob: { email: 'bob@example.com', password: 'bob-Demo-passw0rd' },
} as const;

export type DemoUser = keyof typeof demoUsers;

export const demoDocuments = [
  { id: 'doc-1', title: 'Quarterly plan', body: 'Only alice may read this.' },
  { id: 'doc-2', title: 'Engineering handbook', body: 'Every member of engineering may read this.' },
] as const;

export interface SubjectSet {
  namespace: string;
  object: string;
  relation: string;
}

export interface RelationTuple {
  namespace: string;
  object: string;
  relation: string;
  subject_id?: string;
  subject_set?: SubjectSet;
}

/** The three tuples of the demo; bob reaches doc-2 only through the engineering group (a subject set). */
export function demoTuples(ids: Record<DemoUser, string>): RelationTuple[] {
  return [
    { namespace: 'documents', object: 'doc-1', relation: 'view', subject_id: ids.alice },
    { namespace: 'groups', object: 'engineering', relation: 'member', subject_id: ids.bob },
    {
      namespace: 'documents',
      object: 'doc-2',
      relation: 'view',
      subject_set: { namespace: 'groups', object: 'engineering', relation: 'member' },
    },
  ];
}

/**
 * The demo's machine: an OAuth2 client (client credentials) that may read doc-1 and nothing else. Its secret
 * is fixed so that every run of the demo can use it, and so that the secret scan can search for it.
 */
export const demoMachine = {
  clientId: 'demo-machine',
  secret: 'demo-machine-Secret-0042',
  scope: 'documents.read',
  allowed: 'doc-1',
  denied: 'doc-2',
} as const;

/** The four access requests of the demo and the status each must get. */
export const demoRequests = [
  { who: 'alice', document: 'doc-1', expect: 200 },
  { who: 'bob', document: 'doc-1', expect: 403 },
  { who: 'bob', document: 'doc-2', expect: 200 },
  { who: 'anonymous', document: 'doc-1', expect: 401 },
] as const satisfies readonly { who: DemoUser | 'anonymous'; document: string; expect: number }[];
