-- wrk body for a one-turn, non-streamed response (POST /v1/responses); the model is set by the harness
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"' .. (os.getenv("BENCH_MODEL") or "bench-model") .. '","input":"Hello there, how are you?","max_output_tokens":32}'
