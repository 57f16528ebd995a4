// The built-in node types: name -> module (relative to this folder). Modules are
// imported only when a spec uses their type.

export const BUILTIN_NODE_MODULES: Record<string, string> = {
  'load-cafe': './load-cafe.js',
  'crowd-collect': './crowd-collect.js',
  filter: './filter.js',
  aggregate: './aggregate.js',
  agreement: './agreement.js',
  'train-onehot': './train-onehot.js',
  'train-soft': './train-soft.js',
  compare: './compare.js',
  command: './command.js',
};
