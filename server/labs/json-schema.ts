// Writes docs/lab.schema.json from the lab zod schema, so editors autocomplete and check lab.yaml
// files. Cross-field rules (a reason only with expect: fail, exactly one of rule/match/policy/chain)
// are refinements and do not survive: nsplay checks those.
//   node --import tsx server/labs/json-schema.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { editorJsonSchemaText } from '../topology/json-schema.ts';
import { LabSchema } from './schema.ts';

export const LAB_SCHEMA_PATH = fileURLToPath(new URL('../../docs/lab.schema.json', import.meta.url));

export function labJsonSchemaText(): string {
  return editorJsonSchemaText(LabSchema, 'nsplay Lab',
    'A lab: the sandbox it runs in, the drawing it starts from, and steps (prose, the commands, and the checks that decide when each step is done).');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(LAB_SCHEMA_PATH, labJsonSchemaText());
  console.log(`wrote ${LAB_SCHEMA_PATH}`);
}
