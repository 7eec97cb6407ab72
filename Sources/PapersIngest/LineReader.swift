import CZlib
import Foundation

/// Reads a file line by line, inflating it on the fly when it is gzip-compressed
/// (detected by its magic bytes, not its name). Multi-member gzip files are read whole;
/// a truncated stream is reported as such once the lines before it have been delivered.
final class LineReader {
    let path: String
    private let handle: FileHandle
    private let gzip: Bool
    private var stream = z_stream()
    private var streamOpen = false
    private var input = [UInt8]()
    private var pending = [UInt8]()
    private var pendingStart = 0
    private var finished = false
    private var inputExhausted = false
    /// Compressed (or plain) bytes consumed so far, for progress.
    private(set) var bytesRead: Int64 = 0
    /// 1-based number of the last line returned.
    private(set) var lineNumber = 0

    init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IngestError(path, "cannot open the file")
        }
        self.handle = handle
        let magic = (try? handle.read(upToCount: 2)).map { [UInt8]($0) } ?? []
        try handle.seek(toOffset: 0)
        gzip = magic == [0x1f, 0x8b]
        if gzip {
            guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw IngestError(path, "cannot initialise zlib")
            }
            streamOpen = true
        }
    }

    deinit {
        if streamOpen { inflateEnd(&stream) }
        try? handle.close()
    }

    /// The next line without its terminator, or nil at the end of the file.
    /// Throws when the file cannot be read or the gzip stream is corrupt or truncated.
    func nextLine() throws -> [UInt8]? {
        while true {
            if let newline = pending[pendingStart...].firstIndex(of: 0x0A) {
                var line = Array(pending[pendingStart..<newline])
                if line.last == 0x0D { line.removeLast() }
                pendingStart = newline + 1
                lineNumber += 1
                return line
            }
            if finished {
                guard pendingStart < pending.count else { return nil }
                let line = Array(pending[pendingStart...])
                pendingStart = pending.count
                lineNumber += 1
                return line
            }
            if pendingStart > 0 {
                pending.removeFirst(pendingStart)
                pendingStart = 0
            }
            try fill()
        }
    }

    private func fill() throws {
        let chunk = 1 << 18
        if !gzip {
            let data = try readChunk(chunk)
            if data.isEmpty { finished = true } else { pending.append(contentsOf: data) }
            return
        }
        if input.isEmpty && !inputExhausted {
            input = try readChunk(chunk)
            if input.isEmpty { inputExhausted = true }
        }
        if input.isEmpty && inputExhausted {
            // No more compressed bytes but the stream never ended.
            throw IngestError(path, "truncated gzip stream: the file ends in the middle of compressed data (after line \(lineNumber))")
        }
        var output = [UInt8](repeating: 0, count: chunk * 4)
        let (status, consumed, produced) = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, inBuf.count - Int(stream.avail_in), outBuf.count - Int(stream.avail_out))
            }
        }
        input.removeFirst(consumed)
        pending.append(contentsOf: output[..<produced])
        switch status {
        case Z_OK:
            break
        case Z_BUF_ERROR:
            if input.isEmpty && inputExhausted {
                throw IngestError(path, "truncated gzip stream: the file ends in the middle of compressed data (after line \(lineNumber))")
            }
        case Z_STREAM_END:
            // Another gzip member may follow; otherwise the file is done.
            if input.isEmpty { input = try readChunk(chunk) }
            if input.isEmpty {
                finished = true
            } else if inflateReset(&stream) != Z_OK {
                throw IngestError(path, "corrupt gzip stream after line \(lineNumber)")
            }
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
            throw IngestError(path, "corrupt gzip stream after line \(lineNumber): \(message)")
        }
    }

    private func readChunk(_ size: Int) throws -> [UInt8] {
        do {
            let data = try handle.read(upToCount: size) ?? Data()
            bytesRead += Int64(data.count)
            return [UInt8](data)
        } catch {
            throw IngestError(path, "read failed: \(error.localizedDescription)")
        }
    }

    /// The first `count` bytes of the (decompressed) content, without consuming them.
    func peek(_ count: Int) throws -> [UInt8] {
        while pending.count - pendingStart < count && !finished { try fill() }
        return Array(pending[pendingStart..<min(pending.count, pendingStart + count)])
    }

    /// Everything not yet read, decompressed.
    func readRest() throws -> [UInt8] {
        while !finished { try fill() }
        defer { pendingStart = pending.count }
        return Array(pending[pendingStart...])
    }
}
