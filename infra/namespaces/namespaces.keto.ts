// The demo's permission model in the Ory Permission Language, loaded by the permission service from
// namespaces.location (file://…/namespaces.keto.ts). Keto's type declarations are not needed to run it:
// the service reads the file with the TypeScript parser and evaluates the subset Keto supports.
import { Namespace, SubjectSet, Context } from '@ory/keto-namespace-types';

class User implements Namespace {}

class Group implements Namespace {
  related: {
    members: (User | SubjectSet<Group, 'members'>)[];
  };
}

class Folder implements Namespace {
  related: {
    owners: User[];
    viewers: (User | SubjectSet<Group, 'members'>)[];
    parents: Folder[];
  };

  permits = {
    view: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) ||
      this.related.viewers.includes(ctx.subject) ||
      this.related.parents.traverse((parent) => parent.permits.view(ctx)),
  };
}

class Document implements Namespace {
  related: {
    owners: User[];
    viewers: (User | SubjectSet<Group, 'members'>)[];
    parents: Folder[];
  };

  permits = {
    view: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) ||
      this.related.viewers.includes(ctx.subject) ||
      this.related.parents.traverse((parent) => parent.permits.view(ctx)),
  };
}
