/** Keto's relation tuple: `namespace:object#relation@subject`, the subject an id or a subject set. */
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

export type Subject = { subject_id: string } | { subject_set: SubjectSet };

/** A partial tuple used to list or delete; absent fields match anything. */
export interface TupleFilter {
  namespace?: string;
  object?: string;
  relation?: string;
  subject_id?: string;
  subject_set?: Partial<SubjectSet>;
}

export const tupleText = (tuple: RelationTuple): string =>
  `${tuple.namespace}:${tuple.object}#${tuple.relation}@${
    tuple.subject_set
      ? `(${tuple.subject_set.namespace}:${tuple.subject_set.object}#${tuple.subject_set.relation})`
      : (tuple.subject_id ?? '')
  }`;
