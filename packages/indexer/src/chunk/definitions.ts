import type { Node } from 'web-tree-sitter';
import type { DeclaredSymbol, LanguageRules } from './language-rules.ts';

/** Which syntax nodes define a symbol, and the name, kind and scope they give it. */

/** Node types that declare a named symbol, with the kind recorded for it. */
const definitionKinds: Record<string, string> = {
  // TypeScript / JavaScript
  function_declaration: 'function',
  generator_function_declaration: 'function',
  function_signature: 'function',
  class_declaration: 'class',
  abstract_class_declaration: 'class',
  class: 'class',
  method_definition: 'method',
  method_signature: 'method',
  abstract_method_signature: 'method',
  interface_declaration: 'interface',
  type_alias_declaration: 'type',
  enum_declaration: 'enum',
  internal_module: 'namespace',
  module: 'module',
  // Python
  function_definition: 'function',
  class_definition: 'class',
  // Go
  method_declaration: 'method',
  type_declaration: 'type',
  // Rust
  function_item: 'function',
  function_signature_item: 'function',
  struct_item: 'struct',
  enum_item: 'enum',
  union_item: 'union',
  trait_item: 'trait',
  impl_item: 'impl',
  mod_item: 'module',
  macro_definition: 'macro',
  // Java / C#
  constructor_declaration: 'constructor',
  record_declaration: 'record',
  annotation_type_declaration: 'interface',
  struct_declaration: 'struct',
  property_declaration: 'property',
  namespace_declaration: 'namespace',
  file_scoped_namespace_declaration: 'namespace',
  delegate_declaration: 'type',
  // C / C++
  struct_specifier: 'struct',
  union_specifier: 'union',
  enum_specifier: 'enum',
  class_specifier: 'class',
  namespace_definition: 'namespace',
  type_definition: 'type',
  preproc_function_def: 'macro',
  // Ruby
  method: 'method',
  singleton_method: 'method',
  // PHP
  trait_declaration: 'trait',
};

/** Kinds whose members are methods rather than functions. */
const typeLikeKinds = new Set([
  'class',
  'struct',
  'interface',
  'trait',
  'impl',
  'enum',
  'record',
  'union',
  'object',
  'protocol',
  'extension',
  'actor',
]);

/** Nodes that wrap a definition (export, decorators, templates): the inner one names it. */
const wrapperTypes = new Set([
  'export_statement',
  'decorated_definition',
  'template_declaration',
  'ambient_declaration',
]);

/** Nodes that document or annotate the definition that follows them. */
export function isLeading(node: Node, rules: LanguageRules | null): boolean {
  const type = node.type;
  if (type.includes('comment') || type === 'attribute_item' || type === 'decorator') return true;
  return rules?.leading?.(node) ?? false;
}

const functionValueTypes = new Set([
  'arrow_function',
  'function_expression',
  'function',
  'generator_function',
]);
const classValueTypes = new Set(['class', 'class_expression']);

export interface Definition {
  name: string;
  kind: string;
  /** Names of the enclosing definitions, outermost first. */
  scope: string[];
  /** False for wrappers: their children keep the outer scope. */
  opensScope: boolean;
}

function nameFromDeclarator(node: Node | null): { name: string; scope: string | null } | null {
  let current = node;
  for (let depth = 0; current && depth < 8; depth += 1) {
    switch (current.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
      case 'destructor_name':
      case 'operator_name':
        return { name: current.text, scope: null };
      case 'qualified_identifier': {
        // `a::B::method`: the name is the last part, the scope everything before it.
        const scopes: string[] = [];
        let qualified: Node | null = current;
        while (qualified?.type === 'qualified_identifier') {
          const scope = qualified.childForFieldName('scope');
          if (scope) scopes.push(scope.text);
          qualified = qualified.childForFieldName('name');
        }
        if (!qualified) return { name: current.text, scope: null };
        return { name: qualified.text, scope: scopes.length > 0 ? scopes.join('.') : null };
      }
      default:
        current = current.childForFieldName('declarator') ?? current.childForFieldName('name');
    }
  }
  return null;
}

function receiverType(node: Node): string | null {
  const receiver = node.childForFieldName('receiver');
  const parameter = receiver?.namedChildren.find(
    (child) => child?.type === 'parameter_declaration',
  );
  let type = parameter?.childForFieldName('type') ?? null;
  while (type && (type.type === 'pointer_type' || type.type === 'generic_type')) {
    type = type.namedChildren[0] ?? null;
  }
  return type ? type.text : null;
}

/** Variable declarations naming a function or class: `const handler = () => {}`. */
function variableDefinition(node: Node): { name: string; kind: string } | null {
  const declarators = node.namedChildren.filter((child) => child?.type === 'variable_declarator');
  if (declarators.length !== 1) return null;
  const declarator = declarators[0]!;
  const name = declarator.childForFieldName('name');
  if (!name || name.type !== 'identifier') return null;
  const value = declarator.childForFieldName('value');
  if (value && functionValueTypes.has(value.type)) return { name: name.text, kind: 'function' };
  if (value && classValueTypes.has(value.type)) return { name: name.text, kind: 'class' };
  return { name: name.text, kind: 'variable' };
}

/** Declarations at the top of a file or namespace, not locals inside a function body. */
function isModuleLevel(node: Node): boolean {
  let parent = node.parent;
  if (parent?.type === 'export_statement') parent = parent.parent;
  if (!parent) return false;
  if (parent.type === 'program') return true;
  const owner = parent.parent;
  return (
    parent.type === 'statement_block' &&
    owner !== null &&
    (owner.type === 'internal_module' || owner.type === 'module')
  );
}

export function definitionOf(
  node: Node,
  scope: string[],
  rules: LanguageRules | null,
): Definition | null {
  if (rules) {
    const declared = rules.definition(node);
    return declared ? namedDefinition(node, declared, scope, rules) : null;
  }
  const type = node.type;
  if (wrapperTypes.has(type)) {
    const inner =
      node.childForFieldName('declaration') ??
      node.childForFieldName('definition') ??
      node.namedChildren.find(
        (child) => child !== null && definitionOf(child, scope, rules) !== null,
      ) ??
      null;
    if (!inner) {
      if (type === 'export_statement' && node.childForFieldName('value')) {
        return { name: 'default', kind: 'function', scope, opensScope: false };
      }
      return null;
    }
    const definition = definitionOf(inner, scope, rules);
    return definition ? { ...definition, opensScope: false } : null;
  }
  if (type === 'lexical_declaration' || type === 'variable_declaration') {
    if (!isModuleLevel(node)) return null;
    const variable = variableDefinition(node);
    return variable ? { ...variable, scope, opensScope: true } : null;
  }
  if (type === 'public_field_definition' || type === 'field_definition' || type === 'pair') {
    const value = node.childForFieldName('value');
    if (!value || !functionValueTypes.has(value.type)) return null;
    const key =
      node.childForFieldName('name') ??
      node.childForFieldName('property') ??
      node.childForFieldName('key');
    return key ? { name: key.text, kind: 'method', scope, opensScope: true } : null;
  }
  if (type === 'expression_statement') {
    const inner = node.namedChildren[0];
    if (inner?.type === 'internal_module') return definitionOf(inner, scope, rules);
    if (inner?.type !== 'assignment_expression' || !isModuleLevel(node)) return null;
    const right = inner.childForFieldName('right');
    const left = inner.childForFieldName('left');
    if (!right || !left || !functionValueTypes.has(right.type)) return null;
    const property = left.childForFieldName('property');
    return { name: (property ?? left).text, kind: 'function', scope, opensScope: true };
  }
  const table = definitionKinds[type];
  if (!table) return null;
  let kind = table;
  if (type === 'module' && node.childForFieldName('name') === null) return null;
  let name: string | null = null;
  let extraScope: string | null = null;
  if (type === 'impl_item') {
    const implemented = node.childForFieldName('type');
    name = implemented ? implemented.text : null;
  } else if (type === 'type_declaration') {
    const spec = node.namedChildren.find((child) => child?.type === 'type_spec');
    const specType = spec?.childForFieldName('type')?.type;
    name = spec?.childForFieldName('name')?.text ?? null;
    if (specType === 'struct_type') kind = 'struct';
    else if (specType === 'interface_type') kind = 'interface';
  } else if (type === 'type_definition') {
    name = nameFromDeclarator(node.childForFieldName('declarator'))?.name ?? null;
  } else if (type === 'method_declaration' && node.childForFieldName('receiver')) {
    name = node.childForFieldName('name')?.text ?? null;
    extraScope = receiverType(node);
  } else {
    const nameNode = node.childForFieldName('name');
    if (nameNode) name = nameNode.text;
    else {
      const declared = nameFromDeclarator(node.childForFieldName('declarator'));
      if (declared) {
        name = declared.name;
        extraScope = declared.scope;
      }
    }
  }
  return namedDefinition(node, { name, kind, owner: extraScope }, scope, null);
}

/** The table's kind for a node, or the language's own rules where it has them. */
function kindOf(node: Node, rules: LanguageRules | null): string | undefined {
  return rules ? rules.definition(node)?.kind : definitionKinds[node.type];
}

function namedDefinition(
  node: Node,
  declared: DeclaredSymbol,
  scope: string[],
  rules: LanguageRules | null,
): Definition | null {
  let { name, kind } = declared;
  const extraScope = declared.owner ?? null;
  if (!name) {
    // Anonymous structs, enums and the like are not worth a symbol of their own.
    if (kind !== 'function' && kind !== 'method') return null;
    name = '(anonymous)';
  }
  if (name.length > 120 || name.includes('\n')) name = name.replace(/\s+/g, ' ').slice(0, 120);
  const fullScope = extraScope ? [...scope, extraScope] : scope;
  if (kind === 'function' && fullScope.length > 0 && node.parent) {
    // Python methods and C++ member functions are function nodes inside a class body.
    let ancestor: Node | null = node.parent;
    let ancestorKind: string | undefined;
    while (ancestor && !(ancestorKind = kindOf(ancestor, rules))) ancestor = ancestor.parent;
    if ((ancestorKind && typeLikeKinds.has(ancestorKind)) || extraScope) kind = 'method';
  }
  return { name, kind, scope: fullScope, opensScope: true };
}
