export * from './types.js';
export * from './weight.js';
export * from './script.js';
export * from './file.js';
export * from './process.js';
export * from './interface.js';
export * from './board.js';
export * from './bindings.js';
