// Another team's consumer, as docs/events.md tells it to consume: its own queue bound to each event's exchange (which
// must already exist: checkExchange fails otherwise), every body validated against the published JSON Schema of its
// schemaVersion. Usage: node consume.mjs <amqp url> <schemas dir> <queue prefix>
// Prints one JSON report on stdout once it has one message from every exchange; exits 1 if any body is invalid.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [url, schemasDir, prefix] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);

// exchange -> { version -> validate }
const schemas = new Map();
for (const file of readdirSync(schemasDir).filter(f => f.endsWith('.json'))) {
  const [, exchange, version] = file.match(/^(.+)\.v(\d+)\.json$/);
  if (!schemas.has(exchange)) schemas.set(exchange, new Map());
  schemas.get(exchange).set(Number(version), ajv.compile(JSON.parse(readFileSync(join(schemasDir, file), 'utf8'))));
}

const connection = await amqp.connect(url);
const channel = await connection.createChannel();
const report = { received: {}, invalid: [] };
let done;
const finished = new Promise(resolve => { done = resolve; });

for (const exchange of schemas.keys()) {
  await channel.checkExchange(exchange);
  const queue = `${prefix}${exchange}`;
  await channel.assertQueue(queue, { exclusive: true });
  await channel.bindQueue(queue, exchange, '');
  await channel.consume(queue, message => {
    const problems = [];
    if (message.properties.contentType !== 'application/json') problems.push(`content-type ${message.properties.contentType}`);
    let body;
    try { body = JSON.parse(message.content.toString('utf8')); } catch (e) { problems.push(`not JSON: ${e.message}`); }
    if (body) {
      const validate = schemas.get(exchange).get(body.schemaVersion);
      if (!validate) problems.push(`no published schema for schemaVersion ${body.schemaVersion}`);
      else if (!validate(body)) problems.push(...validate.errors.map(e => `${e.instancePath || '/'} ${e.message}`));
    }
    if (problems.length) report.invalid.push({ exchange, problems });
    report.received[exchange] = (report.received[exchange] ?? 0) + 1;
    channel.ack(message);
    if ([...schemas.keys()].every(x => report.received[x])) done();
  });
}
await finished;
console.log(JSON.stringify(report));
await connection.close();
process.exit(report.invalid.length ? 1 : 0);
