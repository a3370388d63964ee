// Validates a Dashboard Studio definition (JSON, file given as the argument) against the schema
// Splunk publishes in @splunk/dashboard-definition, with ajv, offline. Prints each error and exits
// 1 when there is one. Two checks:
//  1. the package's defaultSchema. It describes the tabbed layout of Splunk 9.4+ (layout.tabs and
//     layoutDefinitions); tcptrace's view keeps the single layout that Splunk 9.0-9.3 read too,
//     so the layout is moved, unchanged, into one tab for this check;
//  2. a schema built with the package's createSchemaBasedOnDicts that knows the data source types
//     the view uses, so a ds.chain must name the search it extends and carry a query.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');
const dd = require('@splunk/dashboard-definition');

const definition = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function asOneTab(d) {
  const copy = JSON.parse(JSON.stringify(d));
  const { globalInputs, ...layout } = copy.layout;
  copy.layout = {
    globalInputs: globalInputs || [],
    tabs: { items: [{ layoutId: 'layout_1', label: 'Overview' }] },
    layoutDefinitions: { layout_1: layout },
  };
  return copy;
}

const typed = dd.createSchemaBasedOnDicts({
  dataSourceDict: {
    'ds.search': { query: { type: 'string' }, queryParameters: { type: 'object' } },
    // combineSchema takes a key named "extend" as "this whole schema": wrap the options' schema in it
    'ds.chain': {
      extend: {
        type: 'object',
        required: ['extend', 'query'],
        additionalProperties: false,
        properties: { extend: { type: 'string' }, query: { type: 'string' } },
      },
    },
  },
});

let failed = false;
for (const [name, schema] of [['defaultSchema', dd.defaultSchema], ['data source types', typed]]) {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (!validate(asOneTab(definition))) {
    failed = true;
    for (const e of validate.errors) {
      console.log(`${name}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
}
if (!failed) {
  console.log('valid');
}
process.exit(failed ? 1 : 0);
