// The built-in node types: name -> module (relative to this folder). Modules are
// imported only when a spec uses their type.

export const BUILTIN_NODE_MODULES: Record<string, string> = {
  command: './command.js',
  compare: './compare.js',
  'load-cafe': './load-cafe.js',
};
