import ts from 'typescript';
import type { NamespaceModel, RelationModel, RelationType, Rewrite } from './model';
import { ReferenceChecks } from './reference-checks';
import { sourcePosition, type OplError, type OplParseResult } from './source-position';

export type { OplError, OplParseResult } from './source-position';

type TypeCheck = () => void;

/**
 * Reads an OPL file with the TypeScript parser and turns the subset Keto supports into a model. Anything
 * outside that subset is an error at its position; references to namespaces and relations are checked
 * once every class is read, as Keto does, so classes may refer to ones declared later.
 */
class OplReader {
  private readonly source: ts.SourceFile;
  private readonly errors: OplError[] = [];
  private readonly checks: TypeCheck[] = [];
  private readonly namespaces: NamespaceModel[] = [];
  private readonly references = new ReferenceChecks(this.namespaces, (node, message) =>
    this.error(node, message),
  );

  constructor(private readonly text: string) {
    this.source = ts.createSourceFile(
      'namespaces.keto.ts',
      text,
      ts.ScriptTarget.ES2022,
      true,
      ts.ScriptKind.TS,
    );
  }

  read(): OplParseResult {
    if (!this.syntaxErrors()) {
      for (const statement of this.source.statements) {
        if (ts.isClassDeclaration(statement)) this.readClass(statement);
        if (this.errors.length > 0) break;
      }
      if (this.errors.length === 0) for (const check of this.checks) check();
    }
    return { model: { namespaces: this.errors.length === 0 ? this.namespaces : [] }, errors: this.errors };
  }

  private errorAt(start: number, end: number, message: string): void {
    this.errors.push({
      message,
      start: sourcePosition(this.text, start),
      end: sourcePosition(this.text, end),
    });
  }

  private error(node: ts.Node, message: string): void {
    this.errorAt(node.getStart(this.source), node.getEnd(), message);
  }

  /** The parser's own diagnostics: syntax only, without building a program (which would cost memory). */
  private syntaxErrors(): boolean {
    const { parseDiagnostics = [] } = this.source as ts.SourceFile & {
      parseDiagnostics?: readonly ts.DiagnosticWithLocation[];
    };
    for (const diagnostic of parseDiagnostics) {
      this.errorAt(
        diagnostic.start,
        diagnostic.start + diagnostic.length,
        ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
      );
    }
    return parseDiagnostics.length > 0;
  }

  private readClass(node: ts.ClassDeclaration): void {
    const implementsNamespace = node.heritageClauses?.some(
      (clause) =>
        clause.token === ts.SyntaxKind.ImplementsKeyword &&
        clause.types.some((type) => type.expression.getText(this.source) === 'Namespace'),
    );
    if (!node.name || !implementsNamespace) {
      this.error(node.name ?? node, 'expected "class <Name> implements Namespace"');
      return;
    }
    const namespace: NamespaceModel = { name: node.name.text, relations: {} };
    const relations = namespace.relations as Record<string, RelationModel>;
    for (const member of node.members) {
      const name = ts.isPropertyDeclaration(member) ? propertyName(member.name) : undefined;
      if (
        name === 'related' &&
        ts.isPropertyDeclaration(member) &&
        member.type &&
        ts.isTypeLiteralNode(member.type)
      ) {
        for (const relation of this.readRelated(member.type)) relations[relation.name] = relation;
      } else if (
        name === 'permits' &&
        ts.isPropertyDeclaration(member) &&
        member.initializer &&
        ts.isObjectLiteralExpression(member.initializer)
      ) {
        for (const permit of this.readPermits(namespace.name, member.initializer))
          relations[permit.name] = permit;
      } else {
        this.error(
          member.name ?? member,
          `expected 'permits' or 'related', got "${member.name?.getText(this.source) ?? member.getText(this.source)}"`,
        );
        return;
      }
      if (this.errors.length > 0) return;
    }
    this.namespaces.push(namespace);
  }

  private readRelated(type: ts.TypeLiteralNode): RelationModel[] {
    const relations: RelationModel[] = [];
    for (const member of type.members) {
      const name = ts.isPropertySignature(member) ? propertyName(member.name) : undefined;
      if (!ts.isPropertySignature(member) || name === undefined || !member.type) {
        this.error(member, 'expected a relation such as `members: User[]`');
        return relations;
      }
      const types = this.readRelationTypes(member.type);
      if (!types) return relations;
      relations.push({ name, types });
    }
    return relations;
  }

  /** `A[]`, `(A | SubjectSet<B, "r">)[]`, `SubjectSet<B, "r">[]` or `Array<A | …>`. */
  private readRelationTypes(type: ts.TypeNode): RelationType[] | undefined {
    let element: ts.TypeNode | undefined;
    if (ts.isArrayTypeNode(type)) element = type.elementType;
    else if (
      ts.isTypeReferenceNode(type) &&
      type.typeName.getText(this.source) === 'Array' &&
      type.typeArguments?.length === 1
    )
      element = type.typeArguments[0];
    if (!element) {
      this.error(
        type,
        'expected an array type such as `User[]` or `(User | SubjectSet<Group, "members">)[]`',
      );
      return undefined;
    }
    while (ts.isParenthesizedTypeNode(element)) element = element.type;
    const members = ts.isUnionTypeNode(element) ? element.types : [element];
    const types: RelationType[] = [];
    for (const member of members) {
      if (!ts.isTypeReferenceNode(member)) {
        this.error(
          member,
          `expected a namespace or SubjectSet<Namespace, "relation">, got "${member.getText(this.source)}"`,
        );
        return undefined;
      }
      const name = member.typeName.getText(this.source);
      if (name !== 'SubjectSet') {
        this.checks.push(() => this.references.checkNamespace(member.typeName, name));
        types.push({ namespace: name });
        continue;
      }
      const [namespaceNode, relationNode] = member.typeArguments ?? [];
      if (
        !namespaceNode ||
        !relationNode ||
        member.typeArguments?.length !== 2 ||
        !ts.isTypeReferenceNode(namespaceNode) ||
        !ts.isLiteralTypeNode(relationNode) ||
        !ts.isStringLiteral(relationNode.literal)
      ) {
        this.error(member, 'expected SubjectSet<Namespace, "relation">');
        return undefined;
      }
      const namespace = namespaceNode.typeName.getText(this.source);
      const relation = relationNode.literal.text;
      this.checks.push(() => this.references.checkRelation(namespaceNode, namespace, relationNode, relation));
      types.push({ namespace, relation });
    }
    return types;
  }

  private readPermits(namespace: string, permits: ts.ObjectLiteralExpression): RelationModel[] {
    const relations: RelationModel[] = [];
    for (const property of permits.properties) {
      const name = ts.isPropertyAssignment(property) ? propertyName(property.name) : undefined;
      const fn = ts.isPropertyAssignment(property) ? property.initializer : undefined;
      if (
        name === undefined ||
        !fn ||
        !ts.isArrowFunction(fn) ||
        fn.parameters.length !== 1 ||
        ts.isBlock(fn.body)
      ) {
        this.error(property, 'expected a permit such as `view: (ctx: Context): boolean => …`');
        return relations;
      }
      const context = fn.parameters[0]?.name.getText(this.source) ?? '';
      const rewrite = this.readExpression(namespace, fn.body, context);
      if (!rewrite) return relations;
      relations.push({ name, rewrite });
    }
    return relations;
  }

  private readExpression(namespace: string, node: ts.Expression, context: string): Rewrite | undefined {
    if (ts.isParenthesizedExpression(node)) return this.readExpression(namespace, node.expression, context);
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      const child = this.readExpression(namespace, node.operand, context);
      return child && { op: 'not', child };
    }
    if (ts.isBinaryExpression(node)) {
      const kind = node.operatorToken.kind;
      const op =
        kind === ts.SyntaxKind.BarBarToken
          ? 'or'
          : kind === ts.SyntaxKind.AmpersandAmpersandToken
            ? 'and'
            : undefined;
      if (!op) {
        this.error(
          node.operatorToken,
          `expected '||' or '&&', got "${node.operatorToken.getText(this.source)}"`,
        );
        return undefined;
      }
      const left = this.readExpression(namespace, node.left, context);
      const right = left && this.readExpression(namespace, node.right, context);
      if (!left || !right) return undefined;
      // n-ary like Keto's simplified tree: a || b || c is one union of three.
      const flat = (side: Rewrite) => (side.op === op ? (side as { children: Rewrite[] }).children : [side]);
      return { op, children: [...flat(left), ...flat(right)] };
    }
    if (ts.isCallExpression(node)) return this.readCall(namespace, node, context);
    this.error(
      node,
      `unsupported expression "${node.getText(this.source)}"; expected this.related.R.includes(${context}.subject), this.related.R.traverse(…) or this.permits.P(${context})`,
    );
    return undefined;
  }

  /** The chain `this.<verb>.<name>` under a call, with `x.y` or `x["y"]` access as Keto allows. */
  private access(
    node: ts.Expression,
  ): { object: ts.Expression; name: string; nameNode: ts.Node } | undefined {
    if (ts.isPropertyAccessExpression(node))
      return { object: node.expression, name: node.name.text, nameNode: node.name };
    if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression))
      return {
        object: node.expression,
        name: node.argumentExpression.text,
        nameNode: node.argumentExpression,
      };
    return undefined;
  }

  private readCall(namespace: string, call: ts.CallExpression, context: string): Rewrite | undefined {
    const method = this.access(call.expression);
    const relation = method && this.access(method.object);
    const verb = relation && this.access(relation.object);
    const root = verb?.object;
    const fail = (node: ts.Node, message: string) => {
      this.error(node, message);
      return undefined;
    };
    // this.permits.P(ctx)
    if (
      method &&
      relation &&
      relation.object.kind === ts.SyntaxKind.ThisKeyword &&
      relation.name === 'permits'
    ) {
      if (!this.isIdentifierArgs(call, [context]))
        return fail(call, `expected this.permits.${method.name}(${context})`);
      this.checks.push(() => this.references.checkOwnRelation(namespace, method.nameNode, method.name));
      return { op: 'computed', relation: method.name };
    }
    if (!method || !relation || !verb || root?.kind !== ts.SyntaxKind.ThisKeyword) {
      return fail(
        call,
        `unsupported call "${call.expression.getText(this.source)}"; expected this.related.R.includes, this.related.R.traverse or this.permits.P`,
      );
    }
    if (verb.name !== 'related')
      return fail(verb.nameNode, `expected 'related' or 'permits', got "${verb.name}"`);
    const relationName = relation.name;
    if (method.name === 'includes') {
      if (!this.isSubjectArgs(call, context))
        return fail(call, `expected this.related.${relationName}.includes(${context}.subject)`);
      this.checks.push(() => this.references.checkOwnRelation(namespace, relation.nameNode, relationName));
      return { op: 'computed', relation: relationName };
    }
    if (method.name !== 'traverse')
      return fail(method.nameNode, `expected 'traverse' or 'includes', got "${method.name}"`);
    const fn = call.arguments[0];
    if (
      call.arguments.length !== 1 ||
      !fn ||
      !ts.isArrowFunction(fn) ||
      fn.parameters.length !== 1 ||
      ts.isBlock(fn.body)
    ) {
      return fail(call, `expected this.related.${relationName}.traverse((p) => p.permits.P(${context}))`);
    }
    const parameter = fn.parameters[0]?.name.getText(this.source) ?? '';
    const inner = ts.isCallExpression(fn.body) ? fn.body : undefined;
    const innerMethod = inner && this.access(inner.expression);
    const innerRelation = innerMethod && this.access(innerMethod.object);
    const innerVerb = innerRelation && this.access(innerRelation.object);
    let computed: { name: string; node: ts.Node } | undefined;
    if (
      inner &&
      innerMethod &&
      innerRelation?.object.getText(this.source) === parameter &&
      innerRelation.name === 'permits' &&
      this.isIdentifierArgs(inner, [context])
    ) {
      computed = { name: innerMethod.name, node: innerMethod.nameNode };
    } else if (
      inner &&
      innerMethod?.name === 'includes' &&
      innerRelation &&
      innerVerb?.name === 'related' &&
      innerVerb.object.getText(this.source) === parameter &&
      this.isSubjectArgs(inner, context)
    ) {
      computed = { name: innerRelation.name, node: innerRelation.nameNode };
    }
    if (!computed) {
      return fail(
        fn.body,
        `expected ${parameter}.permits.P(${context}) or ${parameter}.related.R.includes(${context}.subject)`,
      );
    }
    const target = computed;
    this.checks.push(() => {
      if (this.references.checkOwnRelation(namespace, relation.nameNode, relationName))
        this.references.checkTypesHaveRelation(relation.nameNode, namespace, relationName, target.name, 10);
    });
    return { op: 'traverse', relation: relationName, computed: target.name };
  }

  private isIdentifierArgs(call: ts.CallExpression, names: string[]): boolean {
    return (
      call.arguments.length === names.length &&
      call.arguments.every((arg, i) => ts.isIdentifier(arg) && arg.text === names[i])
    );
  }

  private isSubjectArgs(call: ts.CallExpression, context: string): boolean {
    const [arg] = call.arguments;
    return (
      call.arguments.length === 1 &&
      !!arg &&
      ts.isPropertyAccessExpression(arg) &&
      arg.getText(this.source) === `${context}.subject`
    );
  }
}

function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return undefined;
}

export function parseOpl(text: string): OplParseResult {
  return new OplReader(text).read();
}
