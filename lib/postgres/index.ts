export { qualified, quoteIdent } from './identifiers.js';
export { type Migration, migrations } from './migrations.js';
export { type ApplySchemaResult, applySchema } from './schema.js';
