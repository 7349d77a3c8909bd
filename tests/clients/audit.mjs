// The GraphQL-over-HTTP spec's server audits (graphql-http 1.22.4): node audit.mjs URL
// Prints every audit's result (ok, notice, warn or error, and why) as one JSON array.
import { args, load, report } from './common.mjs';

const { serverAudits } = load('graphql-http');
const { url } = args();
const results = [];
// One at a time, in the suite's order: a failure's reason then reads as the suite means it.
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({ id: result.id, name: result.name, status: result.status,
                 reason: result.status === 'ok' ? null : result.reason });
}
report(results);
