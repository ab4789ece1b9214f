// Usage: node chat.mjs <baseURL> <apiKey> <domain> [openai | openai-latest]
// Takes the domain's model id from models.list(), makes one streamed and one plain chat completion, a completion and
// embeddings (the client's own base64 default and explicit floats) through the gateway to the real inference service
// with the official OpenAI client, then a wrong model and a wrong key to see the gateway's messages reach the client;
// prints what it saw as one JSON line.

const [baseURL, apiKey, domain, clientPackage = "openai"] = process.argv.slice(2);
// The package folder to take the client from: "openai" (6.30.1) or "openai-latest" (package.json pins both).
const { default: OpenAI } = await import(clientPackage);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "hello from the npm client" }];

const listed = (await client.models.list()).data;
const entry = listed.find((m) => m.id === domain);
if (!entry) throw new Error(`models.list() does not list ${domain}: ${listed.map((m) => m.id).join(", ")}`);
const model = entry.id;

const stream = await client.chat.completions.create({ model, user: "npm-user", stream: true, max_tokens: 8, messages });
let chunks = 0;
let text = "";
let finishReason = null;
for await (const chunk of stream) {
  chunks++;
  text += chunk.choices?.[0]?.delta?.content ?? "";
  finishReason = chunk.choices?.[0]?.finish_reason ?? finishReason;
}

const { data, response } = await client.chat.completions.create({ model, user: "npm-user", max_tokens: 8, messages }).withResponse();
const completion = await client.completions.create({ model, prompt: "hello from the npm client", max_tokens: 4 });
// Without encoding_format the client asks for base64 and decodes it to floats itself.
const embedded = await client.embeddings.create({ model, input: ["hello from the npm client", "another text"] });
const floats = await client.embeddings.create({ model, input: "hello from the npm client", encoding_format: "float" });
const first = embedded.data[0].embedding;
const failure = async (call) => {
  try {
    await call();
    return null;
  } catch (e) {
    return { status: e.status ?? null, message: e.message, code: e.code ?? null, name: e.constructor.name };
  }
};
const wrongModel = await failure(() => client.chat.completions.create({ model: `${domain}@9.9.9`, messages }));
const wrongKey = await failure(() => new OpenAI({ baseURL, apiKey: "dpk_wrong", maxRetries: 0 }).chat.completions.create({ model, messages }));

console.log(JSON.stringify({
  listed: { ids: listed.map((m) => m.id), created: entry.created, ownedBy: entry.owned_by },
  wrongModel,
  wrongKey,
  stream: { chunks, text, finishReason },
  plain: {
    status: response.status,
    object: data.object,
    content: data.choices[0].message.content,
    finishReason: data.choices[0].finish_reason,
    completionTokens: data.usage?.completion_tokens ?? null,
  },
  completion: { object: completion.object, finishReason: completion.choices[0].finish_reason },
  embeddings: {
    count: embedded.data.length,
    dimensions: first.length,
    norm: Math.sqrt(first.reduce((sum, x) => sum + x * x, 0)),
    maxDifferenceFromFloats: Math.max(...first.map((x, i) => Math.abs(x - floats.data[0].embedding[i]))),
    promptTokens: embedded.usage.prompt_tokens,
  },
  domain: response.headers.get("x-route-domain"),
  variant: response.headers.get("x-route-variant"),
  modelVersion: response.headers.get("x-route-model-version"),
}));
