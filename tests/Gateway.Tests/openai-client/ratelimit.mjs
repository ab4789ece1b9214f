// Usage: node ratelimit.mjs <baseURL> <apiKey> [openai | openai-latest]
// Against a gateway whose rate limit lets one request through: the first models.list() is served, the second is
// refused, and the client must show the gateway's own message, code and Retry-After. Prints what it saw as one JSON line.
const [baseURL, apiKey, clientPackage = "openai"] = process.argv.slice(2);
const { default: OpenAI } = await import(clientPackage);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });

const served = (await client.models.list()).data.length;
let refused = null;
try {
  await client.models.list();
} catch (e) {
  refused = {
    status: e.status ?? null, message: e.message, code: e.code ?? null, type: e.type ?? null, name: e.constructor.name,
    retryAfter: e.headers?.get?.("retry-after") ?? e.headers?.["retry-after"] ?? null,
  };
}
console.log(JSON.stringify({ served, refused }));
