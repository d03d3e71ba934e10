import type { Node } from 'web-tree-sitter';
import type { GrammarId } from '../internal/grammars.ts';

/** What a node declares: its name (null when anonymous), kind and an explicit owner if any. */
export interface DeclaredSymbol {
  name: string | null;
  kind: string;
  /** Owner named in the declaration itself, such as `M` in Lua's `function M.add()`. */
  owner?: string | null;
}

/**
 * How one language declares things, for grammars whose node types clash with the shared table
 * (Haskell's `function` is also a function type, Lua's `function_definition` is anonymous).
 */
export interface LanguageRules {
  /** The symbol a node declares, or null when it declares none. */
  definition(node: Node): DeclaredSymbol | null;
  /** Nodes other than comments that document the definition after them. */
  leading?(node: Node): boolean;
}

function namedChild(node: Node, type: string): Node | null {
  return node.namedChildren.find((child) => child?.type === type) ?? null;
}

function hasToken(node: Node, token: string): boolean {
  return node.children.some((child) => child !== null && !child.isNamed && child.type === token);
}

/** Declarations directly in a file or a type body, not locals inside a function body. */
function isMemberOf(node: Node, containers: ReadonlySet<string>): boolean {
  const parent = node.parent;
  return parent !== null && containers.has(parent.type);
}

const elixirMacros: Record<string, string> = {
  defmodule: 'module',
  defprotocol: 'protocol',
  defimpl: 'impl',
  def: 'function',
  defp: 'function',
  defdelegate: 'function',
  defmacro: 'macro',
  defmacrop: 'macro',
  defguard: 'macro',
  defguardp: 'macro',
};
const elixirDocAttributes = new Set(['doc', 'typedoc', 'spec', 'impl', 'deprecated']);

const elixir: LanguageRules = {
  definition(node) {
    if (node.type !== 'call') return null;
    const target = node.childForFieldName('target');
    const kind = target?.type === 'identifier' ? elixirMacros[target.text] : undefined;
    if (!kind) return null;
    let head = namedChild(node, 'arguments')?.namedChildren[0] ?? null;
    // `def name(args) when guard`: the head is the left side of `when`.
    if (head?.type === 'binary_operator') head = head.childForFieldName('left');
    if (head?.type === 'call') head = head.childForFieldName('target');
    return { name: head ? head.text : null, kind };
  },
  leading(node) {
    if (node.type !== 'unary_operator') return false;
    const operand = node.childForFieldName('operand');
    const name = operand?.type === 'call' ? operand.childForFieldName('target') : operand;
    return name !== null && name !== undefined && elixirDocAttributes.has(name.text);
  },
};

const haskellTypes: Record<string, string> = {
  data_type: 'type',
  newtype: 'type',
  type_synomym: 'type',
  type_family: 'type',
  data_family: 'type',
  class: 'class',
  instance: 'impl',
};

const haskellDeclarationLists = new Set([
  'declarations',
  'class_declarations',
  'instance_declarations',
]);

const haskell: LanguageRules = {
  definition(node) {
    const type = node.type;
    if (type === 'function' || type === 'signature' || type === 'bind') {
      // Function types are `function` nodes too, but they have no name.
      const name = node.childForFieldName('name');
      if (!name || !isMemberOf(node, haskellDeclarationLists)) return null;
      return { name: name.text, kind: type === 'bind' ? 'variable' : 'function' };
    }
    const kind = haskellTypes[type];
    if (!kind) return null;
    const name = node.childForFieldName('name');
    if (type === 'instance') {
      const patterns = node.childForFieldName('patterns');
      return { name: [name?.text, patterns?.text].filter(Boolean).join(' ') || null, kind };
    }
    return { name: name ? name.text : null, kind };
  },
  leading: (node) => node.type === 'haddock',
};

const kotlinMembers = new Set(['source_file', 'class_body', 'enum_class_body']);

const kotlin: LanguageRules = {
  definition(node) {
    switch (node.type) {
      case 'class_declaration':
        return {
          name: node.childForFieldName('name')?.text ?? null,
          kind: hasToken(node, 'interface') ? 'interface' : 'class',
        };
      case 'object_declaration':
        return { name: node.childForFieldName('name')?.text ?? null, kind: 'object' };
      case 'companion_object':
        return { name: node.childForFieldName('name')?.text ?? 'Companion', kind: 'object' };
      case 'function_declaration':
        return { name: node.childForFieldName('name')?.text ?? null, kind: 'function' };
      case 'secondary_constructor':
        return { name: 'constructor', kind: 'constructor' };
      case 'type_alias':
        return { name: node.childForFieldName('type')?.text ?? null, kind: 'type' };
      case 'property_declaration': {
        if (!isMemberOf(node, kotlinMembers)) return null;
        const variable = namedChild(node, 'variable_declaration');
        const name = variable ? namedChild(variable, 'identifier') : null;
        return name ? { name: name.text, kind: 'property' } : null;
      }
      default:
        return null;
    }
  },
  leading: (node) => node.type === 'annotation',
};

/** Lua names: `f`, `M.f` (owner `M`) or `M:f`. */
function luaName(node: Node | null): { name: string; owner: string | null } | null {
  if (!node) return null;
  if (node.type === 'identifier') return { name: node.text, owner: null };
  const field = node.childForFieldName('field') ?? node.childForFieldName('method');
  const table = node.childForFieldName('table');
  if ((node.type === 'dot_index_expression' || node.type === 'method_index_expression') && field) {
    return { name: field.text, owner: table ? table.text : null };
  }
  return null;
}

/** `M.handler = function(event) … end`, with or without `local`. */
function luaAssignedFunction(node: Node): DeclaredSymbol | null {
  const assignment =
    node.type === 'variable_declaration' ? namedChild(node, 'assignment_statement') : node;
  if (assignment?.type !== 'assignment_statement') return null;
  const targets = namedChild(assignment, 'variable_list')?.namedChildren ?? [];
  const values = namedChild(assignment, 'expression_list')?.namedChildren ?? [];
  if (targets.length !== 1 || values.length !== 1) return null;
  if (values[0]?.type !== 'function_definition') return null;
  const named = luaName(targets[0] ?? null);
  return named ? { name: named.name, kind: 'function', owner: named.owner } : null;
}

const lua: LanguageRules = {
  definition(node) {
    if (node.type === 'function_declaration') {
      const named = luaName(node.childForFieldName('name'));
      return { name: named?.name ?? null, kind: 'function', owner: named?.owner ?? null };
    }
    if (node.type === 'assignment_statement' || node.type === 'variable_declaration') {
      return luaAssignedFunction(node);
    }
    return null;
  },
};

const scalaKinds: Record<string, string> = {
  class_definition: 'class',
  object_definition: 'object',
  trait_definition: 'trait',
  enum_definition: 'enum',
  function_definition: 'function',
  function_declaration: 'function',
  type_definition: 'type',
  given_definition: 'variable',
};
const scalaMembers = new Set(['compilation_unit', 'template_body', 'package_clause']);

const scala: LanguageRules = {
  definition(node) {
    if (node.type === 'val_definition' || node.type === 'var_definition') {
      const pattern = node.childForFieldName('pattern');
      if (!isMemberOf(node, scalaMembers) || pattern?.type !== 'identifier') return null;
      return { name: pattern.text, kind: 'variable' };
    }
    const kind = scalaKinds[node.type];
    if (!kind) return null;
    return { name: node.childForFieldName('name')?.text ?? null, kind };
  },
  leading: (node) => node.type === 'annotation',
};

const swiftTypeKeywords = ['struct', 'enum', 'extension', 'actor', 'class'];
const swiftMembers = new Set(['source_file', 'class_body', 'enum_class_body', 'protocol_body']);

const swift: LanguageRules = {
  definition(node) {
    switch (node.type) {
      case 'class_declaration':
        return {
          name: node.childForFieldName('name')?.text ?? null,
          kind: swiftTypeKeywords.find((keyword) => hasToken(node, keyword)) ?? 'class',
        };
      case 'protocol_declaration':
        return { name: node.childForFieldName('name')?.text ?? null, kind: 'protocol' };
      case 'function_declaration':
      case 'protocol_function_declaration':
        return { name: node.childForFieldName('name')?.text ?? null, kind: 'function' };
      case 'init_declaration':
        return { name: 'init', kind: 'constructor' };
      case 'deinit_declaration':
        return { name: 'deinit', kind: 'method' };
      case 'subscript_declaration':
        return { name: 'subscript', kind: 'method' };
      case 'typealias_declaration':
        return { name: node.childForFieldName('name')?.text ?? null, kind: 'type' };
      case 'property_declaration': {
        if (!isMemberOf(node, swiftMembers)) return null;
        const name = node.childForFieldName('name');
        return name ? { name: name.text, kind: 'property' } : null;
      }
      default:
        return null;
    }
  },
};

const zigContainers: Record<string, string> = {
  struct_declaration: 'struct',
  enum_declaration: 'enum',
  union_declaration: 'union',
  opaque_declaration: 'struct',
};
const zigMembers = new Set(['source_file', 'struct_declaration', 'union_declaration']);

const zig: LanguageRules = {
  definition(node) {
    switch (node.type) {
      case 'function_declaration':
        return { name: node.childForFieldName('name')?.text ?? null, kind: 'function' };
      case 'test_declaration': {
        const label = namedChild(node, 'string') ?? namedChild(node, 'identifier');
        const content = label ? (namedChild(label, 'string_content') ?? label) : null;
        return { name: content ? content.text : null, kind: 'test' };
      }
      case 'variable_declaration': {
        if (!isMemberOf(node, zigMembers)) return null;
        const name = namedChild(node, 'identifier');
        if (!name) return null;
        const container = node.namedChildren.find(
          (child) => child !== null && zigContainers[child.type] !== undefined,
        );
        return { name: name.text, kind: container ? zigContainers[container.type]! : 'variable' };
      }
      default:
        return null;
    }
  },
};

const rulesByGrammar: Partial<Record<GrammarId, LanguageRules>> = {
  elixir,
  haskell,
  kotlin,
  lua,
  scala,
  swift,
  zig,
};

/** The rules of a grammar with its own declaration shapes, or null for the shared table. */
export function languageRulesFor(grammar: GrammarId | null | undefined): LanguageRules | null {
  return grammar ? (rulesByGrammar[grammar] ?? null) : null;
}
