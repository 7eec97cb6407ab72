import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, memory-mapped `.safetensors` file. Tensor data is never copied:
/// `tensor(_:shape:)` returns pointers into the mapping, which lives as long as
/// this object.
final class SafeTensorsFile: @unchecked Sendable {
    struct Entry {
        let dtype: String
        let shape: [Int]
        let begin: Int  // byte offset from the start of the data section
        let end: Int
    }

    let path: String
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let dataOffset: Int
    let entries: [String: Entry]

    init(url: URL) throws {
        let path = url.path
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let err = errno
            if err == ENOENT { throw MiniLMError.missingFile(path: path) }
            throw MiniLMError.unreadableFile(path: path, reason: String(cString: strerror(err)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw MiniLMError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(st.st_size)
        guard size >= 8 else {
            throw MiniLMError.badSafetensorsHeader(path: path, reason: "file is only \(size) bytes")
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw MiniLMError.unreadableFile(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        var ok = false
        defer { if !ok { munmap(mapped, size) } }

        let headerLength = Int(UInt64(littleEndian: mapped.loadUnaligned(as: UInt64.self)))
        guard headerLength > 1, headerLength <= size - 8, headerLength < 100_000_000 else {
            throw MiniLMError.badSafetensorsHeader(
                path: path, reason: "header length \(headerLength) does not fit in a \(size)-byte file")
        }
        let headerData = Data(bytes: mapped + 8, count: headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw MiniLMError.badSafetensorsHeader(path: path, reason: "header is not valid JSON")
        }
        guard let dict = json as? [String: Any] else {
            throw MiniLMError.badSafetensorsHeader(path: path, reason: "header is not a JSON object")
        }
        let dataOffset = 8 + headerLength
        let dataLength = size - dataOffset
        var entries: [String: Entry] = [:]
        for (name, value) in dict where name != "__metadata__" {
            guard let info = value as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any],
                  let offsetsAny = info["data_offsets"] as? [Any], offsetsAny.count == 2
            else {
                throw MiniLMError.badSafetensorsHeader(path: path, reason: "entry '\(name)' lacks dtype/shape/data_offsets")
            }
            let shape = shapeAny.compactMap { ($0 as? NSNumber)?.intValue }
            let offsets = offsetsAny.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == shapeAny.count, offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength
            else {
                throw MiniLMError.badSafetensorsHeader(
                    path: path, reason: "entry '\(name)' has invalid shape or data_offsets (data section is \(dataLength) bytes)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        self.base = mapped
        self.length = size
        self.dataOffset = dataOffset
        self.entries = entries
        ok = true
    }

    deinit {
        munmap(base, length)
    }

    /// Pointer to an F32 tensor of exactly `shape`.
    func tensor(_ name: String, shape: [Int]) throws -> UnsafePointer<Float> {
        guard let e = entries[name] else { throw MiniLMError.missingTensor(path: path, name: name) }
        guard e.dtype == "F32" else {
            throw MiniLMError.badTensor(path: path, name: name, reason: "dtype is \(e.dtype), expected F32")
        }
        guard e.shape == shape else {
            throw MiniLMError.wrongShape(path: path, name: name, expected: shape, found: e.shape)
        }
        let count = shape.reduce(1, *)
        guard e.end - e.begin == count * 4 else {
            throw MiniLMError.badTensor(
                path: path, name: name, reason: "byte range \(e.begin)..<\(e.end) does not hold \(count) floats")
        }
        let start = dataOffset + e.begin
        guard start % MemoryLayout<Float>.alignment == 0 else {
            throw MiniLMError.badTensor(path: path, name: name, reason: "data is not 4-byte aligned")
        }
        return UnsafePointer((base + start).assumingMemoryBound(to: Float.self))
    }
}
