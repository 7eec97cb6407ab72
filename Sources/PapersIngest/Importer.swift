import Foundation
import PapersCore
import PapersStore

/// The formats `dailypapers import` reads.
public enum ImportFormat: String, CaseIterable, Sendable {
    /// Hugging Face `GET /api/daily_papers?date=` bodies.
    case hfDaily = "hf-daily"
    /// arXiv metadata snapshot, JSON lines, plain or gzipped.
    case snapshot
    /// arXiv Atom API responses.
    case atom
    /// OAI-PMH ListRecords / GetRecord responses, arXiv or arXivRaw metadata.
    case oai
    /// A recorded HTTP exchange `{url, status_code, body}` (as API client test suites keep
    /// them); the body is read in its own format.
    case recorded

    /// Guesses the format from the first bytes of the (decompressed) content.
    static func detect(_ head: [UInt8]) -> ImportFormat? {
        guard let first = head.firstIndex(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) }) else {
            return nil
        }
        let text = String(decoding: head[first...].prefix(4096), as: UTF8.self)
        switch head[first] {
        case UInt8(ascii: "["):
            return .hfDaily
        case UInt8(ascii: "{"):
            // The snapshot has one object per line with arXiv's field names; anything else
            // that is an object is taken as a daily-papers body, which then says what is wrong.
            let firstLine = text.prefix { $0 != "\n" }
            if text.contains("\"status_code\"") && text.contains("\"body\"") && text.contains("\"url\"") {
                return .recorded
            }
            if firstLine.contains("\"authors_parsed\"") || (firstLine.contains("\"abstract\"") && firstLine.contains("\"categories\"")) {
                return .snapshot
            }
            return .hfDaily
        case UInt8(ascii: "<"):
            if text.contains("<OAI-PMH") { return .oai }
            if text.contains("<feed") { return .atom }
            return nil
        default:
            return nil
        }
    }
}

/// The totals an import prints at the end.
public struct ImportSummary: Sendable, Equatable {
    public var files = 0
    public var read = 0
    public var outcome = BatchOutcome()
    /// Records rejected for a reason of their own.
    public var rejectedRecords = 0
    /// Whole files that could not be read as any supported format.
    public var rejectedFiles = 0
    public var errors: [IngestError] = []

    public init() {}

    public var rejected: Int { rejectedRecords + rejectedFiles }

    public var description: String {
        var line = "read \(read), new \(outcome.papersNew), updated \(outcome.papersUpdated), unchanged \(outcome.papersUnchanged), rejected \(rejectedRecords)"
        if rejectedFiles > 0 { line += " (and \(rejectedFiles) file\(rejectedFiles == 1 ? "" : "s") rejected whole)" }
        let featured = outcome.featuredNew + outcome.featuredUpdated + outcome.featuredUnchanged
        if featured > 0 {
            line += "; featured entries: new \(outcome.featuredNew), updated \(outcome.featuredUpdated), unchanged \(outcome.featuredUnchanged)"
        }
        return line + " — \(files) file\(files == 1 ? "" : "s")"
    }
}

/// Reads files and folders of any supported format into the store.
///
/// Each file's records are written in transactions (a daily-papers file or XML document
/// in one, a snapshot in batches of `batchSize` lines), so an error can never leave half
/// a record or half a batch behind. Rejected records and files are reported and skipped;
/// the rest is imported.
public final class Importer: @unchecked Sendable {
    public let store: any PaperStore
    /// Snapshot lines per transaction. Large, because the full-text index flushes a segment
    /// on every commit: 10,000 halves the import time of 2,000.
    public var batchSize = 10_000
    /// Called for every rejected file or record, as it happens.
    public var onReject: (IngestError) -> Void = { _ in }
    public var progress: ProgressReporter?

    public init(store: any PaperStore) {
        self.store = store
    }

    /// Imports every path: files directly, folders recursively (hidden files skipped).
    public func run(paths: [String], format: ImportFormat? = nil) async -> ImportSummary {
        var summary = ImportSummary()
        var files = [String]()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                reject(IngestError(path, "no such file or folder"), file: true, into: &summary)
                continue
            }
            files += isDirectory.boolValue ? Self.filesBelow(path) : [path]
        }
        let totalBytes = files.reduce(Int64(0)) { $0 + Self.size(of: $1) }
        progress?.start(totalBytes: totalBytes)
        var doneBytes: Int64 = 0
        for file in files {
            summary.files += 1
            await importFile(file, format: format, into: &summary, baseBytes: doneBytes)
            doneBytes += Self.size(of: file)
            progress?.update(bytes: doneBytes, records: summary.read)
        }
        progress?.finish(records: summary.read)
        return summary
    }

    private func reject(_ error: IngestError, file: Bool, into summary: inout ImportSummary) {
        if file { summary.rejectedFiles += 1 } else { summary.rejectedRecords += 1 }
        summary.errors.append(error)
        onReject(error)
    }

    private func importFile(_ path: String, format: ImportFormat?, into summary: inout ImportSummary, baseBytes: Int64) async {
        do {
            let reader = try LineReader(path: path)
            let chosen: ImportFormat
            if let format {
                chosen = format
            } else {
                let head = try reader.peek(4096)
                guard let detected = ImportFormat.detect(head) else {
                    throw IngestError(path, head.isEmpty ? "the file is empty"
                        : "unknown format (expected Hugging Face daily-papers JSON, arXiv metadata JSON lines, an arXiv Atom feed or an OAI-PMH response; choose one with --format)")
                }
                chosen = detected
            }
            if chosen == .snapshot {
                try await importSnapshot(reader, into: &summary, baseBytes: baseBytes)
            } else {
                let document = try Self.parseDocument(try reader.readRest(), format: chosen, source: path)
                summary.read += document.records.count + document.rejected.count
                for error in document.rejected { reject(error, file: false, into: &summary) }
                try await write(document.records, source: path, into: &summary)
            }
        } catch let error as IngestError {
            reject(error, file: true, into: &summary)
        } catch {
            reject(IngestError(path, "\(error)"), file: true, into: &summary)
        }
    }

    /// Parses a whole-document format.
    static func parseDocument(_ bytes: [UInt8], format: ImportFormat, source: String) throws -> ParsedDocument {
        switch format {
        case .hfDaily: return try HFDailyParser.parse(bytes, source: source)
        case .atom: return try AtomParser.parse(Data(bytes), source: source).document
        case .oai: return try OAIParser.parse(Data(bytes), source: source).document
        case .snapshot:
            var document = ParsedDocument()
            let parser = SnapshotParser()
            for (index, line) in bytes.split(separator: 0x0A).enumerated() {
                do {
                    document.records.append(ParsedRecord(paper: try parser.parse(Array(line)), featured: nil))
                } catch {
                    document.rejected.append(IngestError(source, error.reason, at: "line \(index + 1)"))
                }
            }
            return document
        case .recorded:
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let body = object["body"] as? String else {
                throw IngestError(source, "expected a recorded HTTP exchange {url, status_code, body}")
            }
            let inner = Array(body.utf8)
            let label = "\(source) (response to \(object["url"] as? String ?? "?"))"
            guard let innerFormat = ImportFormat.detect(inner), innerFormat != .recorded else {
                throw IngestError(label, "HTTP \(object["status_code"] ?? "?"): the body is not a supported format")
            }
            return try parseDocument(inner, format: innerFormat, source: label)
        }
    }

    /// Streams a snapshot in batches. Parsing the next batch overlaps with writing the
    /// previous one (the store writes on its own queue), which keeps both cores busy.
    private func importSnapshot(_ reader: LineReader, into summary: inout ImportSummary, baseBytes: Int64) async throws {
        let parser = SnapshotParser()
        var batch = [ParsedRecord]()
        batch.reserveCapacity(batchSize)
        var firstLineOfBatch = 1
        var lastReport = ContinuousClock.now
        var inFlight: Task<BatchOutcome, any Error>?
        var inFlightSource = ""

        func finishInFlight() async throws {
            guard let task = inFlight else { return }
            inFlight = nil
            do {
                summary.outcome += try await task.value
            } catch {
                throw IngestError(inFlightSource, "nothing of this batch was written: \(error)")
            }
        }
        func send() async throws {
            try await finishInFlight()
            guard !batch.isEmpty else { return }
            let papers = batch.map(\.paper)
            let store = self.store
            inFlight = Task { try await store.write(ImportBatch(papers: papers)) }
            inFlightSource = "\(reader.path) lines \(firstLineOfBatch)-\(reader.lineNumber)"
            batch.removeAll(keepingCapacity: true)
            firstLineOfBatch = reader.lineNumber + 1
        }

        while true {
            let line: [UInt8]?
            do {
                line = try reader.nextLine()
            } catch {
                // A truncated or corrupt stream: keep the complete lines before it.
                try await send()
                try await finishInFlight()
                throw error
            }
            guard let line else { break }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            summary.read += 1
            do {
                batch.append(ParsedRecord(paper: try parser.parse(line), featured: nil))
            } catch {
                let place = "line \(reader.lineNumber)" + (error.id.map { " (\($0))" } ?? "")
                reject(IngestError(reader.path, error.reason, at: place), file: false, into: &summary)
            }
            if batch.count >= batchSize {
                try await send()
                if ContinuousClock.now - lastReport > .milliseconds(200) {
                    progress?.update(bytes: baseBytes + reader.bytesRead, records: summary.read)
                    lastReport = .now
                }
            }
        }
        try await send()
        try await finishInFlight()
    }

    private func write(_ records: [ParsedRecord], source: String, into summary: inout ImportSummary) async throws {
        guard !records.isEmpty else { return }
        let batch = ImportBatch(papers: records.map(\.paper), featured: records.compactMap(\.featured))
        do {
            summary.outcome += try await store.write(batch)
        } catch {
            throw IngestError(source, "nothing of this batch was written: \(error)")
        }
    }

    static func filesBelow(_ folder: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files = [String]()
        while let relative = enumerator.nextObject() as? String {
            let components = relative.split(separator: "/")
            if components.contains(where: { $0.hasPrefix(".") }) { continue }
            let full = (folder as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(full)
            }
        }
        return files.sorted()
    }

    static func size(of path: String) -> Int64 {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
    }
}
