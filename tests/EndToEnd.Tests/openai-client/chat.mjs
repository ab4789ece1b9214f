// Usage: node chat.mjs <baseURL> <apiKey> <model>
// One streamed and one plain chat completion through the gateway to the real inference service with the
// official OpenAI client; prints what it saw as one JSON line.
import OpenAI from "openai";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "hello from the npm client" }];

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
console.log(JSON.stringify({
  stream: { chunks, text, finishReason },
  plain: {
    status: response.status,
    object: data.object,
    content: data.choices[0].message.content,
    finishReason: data.choices[0].finish_reason,
    completionTokens: data.usage?.completion_tokens ?? null,
  },
  domain: response.headers.get("x-route-domain"),
  variant: response.headers.get("x-route-variant"),
  modelVersion: response.headers.get("x-route-model-version"),
}));
