// Usage: node chat.mjs <baseURL> <apiKey> [openai | openai-latest]
// As most examples do: takes the model from models.list(), streams one chat completion and makes one plain call
// through the gateway with the OpenAI client; then calls chat with every listed id, and with a wrong model and a
// wrong key to see the gateway's messages reach the client. Prints what it saw as one JSON line.

const [baseURL, apiKey, clientPackage = "openai"] = process.argv.slice(2);
// The package folder to take the client from: "openai" (6.30.1) or "openai-latest" (package.json pins both).
const { default: OpenAI } = await import(clientPackage);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "hello from the npm client" }];

const models = await client.models.list();
const ids = models.data.map((m) => m.id);
const model = models.data[0].id;

const stream = await client.chat.completions.create({ model, user: "npm-user", stream: true, messages });
let chunks = 0;
let text = "";
for await (const chunk of stream) {
  chunks++;
  text += chunk.choices?.[0]?.delta?.content ?? "";
}

const { response } = await client.chat.completions.create({ model, user: "npm-user", messages }).withResponse();

// Every listed id is one chat accepts ("auto" needs a prompt that names some domain).
const served = {};
for (const id of ids) {
  const { response: r } = await client.chat.completions
    .create({ model: id, messages: [{ role: "user", content: "a sql query please" }] }).withResponse();
  served[id] = r.status;
}

const failure = async (call) => {
  try {
    await call();
    return null;
  } catch (e) {
    return { status: e.status ?? null, message: e.message, code: e.code ?? null, type: e.type ?? null, param: e.param ?? null, name: e.constructor.name };
  }
};
const wrongModel = await failure(() => client.chat.completions.create({ model: "no-such-model", messages }));
const wrongKey = await failure(() => new OpenAI({ baseURL, apiKey: "dpk_wrong", maxRetries: 0 }).models.list());
const badParameter = await failure(() => client.chat.completions.create({ model, messages, temperature: 9 }));

console.log(JSON.stringify({
  ids,
  chunks,
  text,
  status: response.status,
  domain: response.headers.get("x-route-domain"),
  variant: response.headers.get("x-route-variant"),
  served,
  wrongModel,
  wrongKey,
  badParameter,
}));
