// Usage: node chat.mjs <baseURL> <apiKey> <model>
// Streams one chat completion and makes one plain call through the gateway with the OpenAI client,
// then prints what it saw as one JSON line.
import OpenAI from "openai";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "hello from the npm client" }];

const stream = await client.chat.completions.create({ model, user: "npm-user", stream: true, messages });
let chunks = 0;
let text = "";
for await (const chunk of stream) {
  chunks++;
  text += chunk.choices?.[0]?.delta?.content ?? "";
}

const { response } = await client.chat.completions.create({ model, user: "npm-user", messages }).withResponse();
console.log(JSON.stringify({
  chunks,
  text,
  status: response.status,
  domain: response.headers.get("x-route-domain"),
  variant: response.headers.get("x-route-variant"),
}));
