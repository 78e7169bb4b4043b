// Preloaded with `node --import`: an import of a package CAVRA_FORBIDDEN_IMPORTS names (comma-separated: a package,
// or a scope such as `@nats-io`) fails with `forbidden import: <specifier>`, so a process that does its work under it
// provably never loaded them. Tests use it to hold a process to what its start may load.
import { register } from 'node:module';

const forbidden = (process.env.CAVRA_FORBIDDEN_IMPORTS ?? '').split(',').filter(Boolean);
if (forbidden.length === 0) throw new Error('forbid-imports: CAVRA_FORBIDDEN_IMPORTS names no package');
const hooks = `
let forbidden = [];
export function initialize(names) {
  forbidden = names;
}
export async function resolve(specifier, context, next) {
  if (forbidden.some((name) => specifier === name || specifier.startsWith(name + '/')))
    throw new Error('forbidden import: ' + specifier);
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: forbidden });
