-- wrk body for an embeddings request
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_TOKEN") then wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN") end
wrk.body = '{"model":"' .. (os.getenv("BENCH_MODEL") or "bench-embed") .. '","input":"a cat sits on the mat"}'
