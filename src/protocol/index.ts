/** Wire protocol v1, shared by the browser kit (`src/`) and the reference server (`server/`). */
export * from './messages.js';
export * from './topics.js';
export * from './apply.js';
export * from './validate.js';
export * from './precision.js';
export * from './merge-patch.js';
