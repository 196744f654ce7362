-- wrk body for an embeddings request
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"' .. (os.getenv("BENCH_MODEL") or "bench-embed") .. '","input":"a cat sits on the mat"}'
