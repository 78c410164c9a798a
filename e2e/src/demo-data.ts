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
  {
    id: 'doc-3',
    title: 'Mesh design',
    body: 'Filed in company/projects/mesh: whoever may view the company folder may read this.',
  },
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

/**
 * The demo's tuples in the OPL model of infra/namespaces/namespaces.keto.ts. bob reaches doc-2 through
 * the engineering group (a subject set), and doc-3 only through its folder chain: doc-3 is in
 * company/projects/mesh, and engineering may view the company folder (Document#view traverses parents).
 */
export function demoTuples(ids: Record<DemoUser, string>): RelationTuple[] {
  const folder = (object: string): SubjectSet => ({ namespace: 'Folder', object, relation: '' });
  const engineering: SubjectSet = { namespace: 'Group', object: 'engineering', relation: 'members' };
  return [
    { namespace: 'Document', object: 'doc-1', relation: 'owners', subject_id: ids.alice },
    { namespace: 'Group', object: 'engineering', relation: 'members', subject_id: ids.bob },
    { namespace: 'Document', object: 'doc-2', relation: 'viewers', subject_set: engineering },
    { namespace: 'Folder', object: 'company', relation: 'viewers', subject_set: engineering },
    { namespace: 'Folder', object: 'projects', relation: 'parents', subject_set: folder('company') },
    { namespace: 'Folder', object: 'mesh', relation: 'parents', subject_set: folder('projects') },
    { namespace: 'Document', object: 'doc-3', relation: 'parents', subject_set: folder('mesh') },
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

/** The access requests of the demo and the status each must get; bob → doc-3 is the folder chain. */
export const demoRequests = [
  { who: 'alice', document: 'doc-1', expect: 200 },
  { who: 'bob', document: 'doc-1', expect: 403 },
  { who: 'bob', document: 'doc-2', expect: 200 },
  { who: 'anonymous', document: 'doc-1', expect: 401 },
  { who: 'bob', document: 'doc-3', expect: 200 },
] as const satisfies readonly { who: DemoUser | 'anonymous'; document: string; expect: number }[];
