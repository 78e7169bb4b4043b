// Preloaded with `node --import`: any import of the NATS clients or of @cavra/fleet fails, so a process that starts
// and decides under it provably never loaded them.
import { register } from 'node:module';

const hooks = `
export async function resolve(specifier, context, next) {
  if (/^@nats-io\\//.test(specifier) || specifier === '@cavra/fleet') {
    throw new Error('forbidden import: ' + specifier);
  }
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
