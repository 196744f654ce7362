-- wrk body for a non-streaming chat completion; the model is set by the harness
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") end
wrk.body = '{"model":"' .. (os.getenv("BENCH_MODEL") or "bench-model") .. '","messages":[{"role":"user","content":"Hello there, how are you?"}],"max_tokens":32}'
