-- wrk: hybrid search (or BENCH_MODE: keyword, semantic) with 30 queries in turn, each request a
-- different URI (the response cache never answers). Used by bench/search.sh and bench/postgres.sh.
local queries = {"graph neural networks", "diffusion models for video generation", "reinforcement learning from human feedback",
  "large language model reasoning", "protein structure prediction", "vision transformer efficiency", "speech recognition",
  "retrieval augmented generation", "mixture of experts", "robot manipulation policies", "medical image segmentation",
  "federated learning privacy", "3d gaussian splatting", "code generation benchmarks", "multimodal instruction tuning",
  "adversarial robustness", "time series forecasting", "knowledge distillation", "autonomous driving perception",
  "quantization of neural networks", "sparse attention long context", "text to image editing", "agents tool use",
  "hallucination detection", "contrastive learning representations", "neural radiance fields", "chain of thought",
  "machine translation low resource", "recommendation systems", "molecule generation"}
local mode = os.getenv("BENCH_MODE") or "hybrid"
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]:gsub(" ", "+")
  return wrk.format("GET", "/api/papers/search?q=" .. q .. "&mode=" .. mode .. "&limit=20&nonce=" .. n .. "-" .. math.random(1e9))
end
