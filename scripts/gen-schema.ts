// Writes docs/topology.schema.json from the zod schema, so editors can autocomplete and check
// topology files.   node --import tsx scripts/gen-schema.ts          (npm run schema)
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { editorJsonSchemaText } from '../server/topology/json-schema.ts';
import { TopologySchema } from '../server/topology/schema.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../docs/topology.schema.json', import.meta.url));

export function topologyJsonSchemaText(): string {
  return editorJsonSchemaText(TopologySchema, 'nsplay Topology',
    'A network drawn in nsplay: nodes (namespaces, bridges, containers), veth links, and where each sits on the canvas.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(SCHEMA_PATH, topologyJsonSchemaText());
  console.log(`wrote ${SCHEMA_PATH}`);
}
