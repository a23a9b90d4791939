// JSON Schema for editors from a zod schema (topology files, lab files). Pure.
// The name and address checks are functions, which JSON Schema cannot carry; these patterns give an
// editor the shape of each (the full rules — reserved words, octet ranges, 15 *bytes* — stay in nsplay).
// Cross-field rules are refinements and do not survive either: the JSON Schema checks shape, nsplay meaning.
import { z } from 'zod';
import { AddressOrCidr, AddressPort, ChainName, Cidr, Ifname, Ipv4, MaybeNegatedAddress, NodeName } from './fields.ts';

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
export function editorJsonSchemaText(schema: z.ZodType, title: string, description: string): string {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: (ctx) => {
      const pattern = PATTERNS.get(ctx.zodSchema);
      if (pattern) ctx.jsonSchema.pattern = pattern;
    },
  });
  return `${JSON.stringify({ $schema: json.$schema, title, description, ...json }, null, 2)}\n`;
}
