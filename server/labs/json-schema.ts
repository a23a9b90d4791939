// Writes docs/lab.schema.json from the lab zod schema (as scripts/gen-schema.ts does for topologies), so
// editors autocomplete and check lab.yaml files. Cross-field rules (a reason only with expect: fail,
// exactly one of rule/match/policy/chain) are refinements and do not survive: nsplay checks those.
//   node --import tsx server/labs/json-schema.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { AddressOrCidr, AddressPort, ChainName, Cidr, Ifname, Ipv4, MaybeNegatedAddress, NodeName } from '../topology/fields.ts';
import { LabSchema } from './schema.ts';

export const LAB_SCHEMA_PATH = fileURLToPath(new URL('../../docs/lab.schema.json', import.meta.url));

const IPV4 = '(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}';
const PATTERNS = new Map<unknown, string>([
  [Ifname, '^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$'],
  [NodeName, '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$'],
  [ChainName, '^[A-Za-z][A-Za-z0-9_-]{0,27}$'],
  [Ipv4, `^${IPV4}$`],
  [Cidr, `^${IPV4}/([0-9]|[12][0-9]|3[0-2])$`],
  [AddressOrCidr, `^${IPV4}(/([0-9]|[12][0-9]|3[0-2]))?$`],
  [MaybeNegatedAddress, `^(!\\s*)?${IPV4}(/([0-9]|[12][0-9]|3[0-2]))?$`],
  [AddressPort, `^${IPV4}(:[1-9][0-9]{0,4})?$`],
]);

/** The JSON Schema text exactly as it is checked in (stable key order, trailing newline). */
export function labJsonSchemaText(): string {
  const schema = z.toJSONSchema(LabSchema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: (ctx) => {
      const pattern = PATTERNS.get(ctx.zodSchema);
      if (pattern) ctx.jsonSchema.pattern = pattern;
    },
  });
  const doc = {
    $schema: schema.$schema,
    title: 'nsplay Lab',
    description: 'A lab: the sandbox it runs in, the drawing it starts from, and steps (prose, the commands, and the checks that decide when each step is done).',
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(LAB_SCHEMA_PATH, labJsonSchemaText());
  console.log(`wrote ${LAB_SCHEMA_PATH}`);
}
