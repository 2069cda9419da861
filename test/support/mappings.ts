/** The docs' database-scale declaration: every table of Debezium's tutorial database, one sink. */
export const inventorySink = {
  name: 'inventory',
  'topic-pattern': 'dbserver1\\.inventory\\.(.+)',
  table: '${1}',
  format: 'debezium',
  'create-table': true,
  evolve: 'add-columns',
  delete: 'hard',
};
