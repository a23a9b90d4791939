// Writes docs/topology.schema.json from the zod schema, so editors can autocomplete and check
// topology and lab files. Cross-field rules (unique names, links to existing nodes, …) are
// refinements and do not survive the conversion: the JSON Schema checks shape, nsplay checks meaning.
//   node --import tsx scripts/gen-schema.ts          (npm run schema)
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { AddressOrCidr, AddressPort, ChainName, Cidr, Ifname, Ipv4, MaybeNegatedAddress, NodeName } from '../server/topology/fields.ts';
import { TopologySchema } from '../server/topology/schema.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../docs/topology.schema.json', import.meta.url));

// The name and address checks are functions, which JSON Schema cannot carry; these patterns give an
// editor the shape of each (the full rules — reserved words, octet ranges, 15 *bytes* — stay in nsplay).
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
export function topologyJsonSchemaText(): string {
  const schema = z.toJSONSchema(TopologySchema, {
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
    title: 'nsplay Topology',
    description: 'A network drawn in nsplay: nodes (namespaces, bridges, containers), veth links, and where each sits on the canvas.',
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(SCHEMA_PATH, topologyJsonSchemaText());
  console.log(`wrote ${SCHEMA_PATH}`);
}
