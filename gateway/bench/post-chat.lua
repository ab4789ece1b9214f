-- wrk script: the same OpenAI chat request for every target.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"bench","user":"bench-user","messages":[{"role":"user","content":"hello"}]}'
