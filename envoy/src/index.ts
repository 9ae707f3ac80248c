export * from './bootstrap.js';
export * from './install.js';
export * from './process.js';
