/// An import error naming the input and the problem:
/// `2024-12-11.json: expected a list of objects, found a list of strings`.
public struct IngestError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or URL) the problem is in.
    public var source: String
    /// Where in it: `line 12`, `item 3`, `record oai:arXiv.org:0804.2273`; nil for the whole file.
    public var location: String?
    public var reason: String

    public init(_ source: String, _ reason: String, at location: String? = nil) {
        self.source = source
        self.reason = reason
        self.location = location
    }

    public var description: String {
        if let location { return "\(source): \(location): \(reason)" }
        return "\(source): \(reason)"
    }
}
