import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A small element tree built with Foundation's XMLParser. Names are local names
/// (namespace prefixes dropped): the feeds we read use few namespaces and no clashes.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }
    /// The trimmed text of a direct child, nil when absent or empty.
    func value(_ name: String) -> String? {
        guard let t = child(name)?.text.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else { return nil }
        return t
    }

    /// Every descendant with this name, depth first.
    func descendants(_ name: String) -> [XMLNode] {
        var out = [XMLNode]()
        for c in children {
            if c.name == name { out.append(c) }
            out += c.descendants(name)
        }
        return out
    }

    /// Parses a whole document; a malformed one is an error naming the line and column.
    ///
    /// A document with a DOCTYPE is refused before it is parsed: entity declarations are how
    /// "billion laughs" expansion and external entities (local files, other hosts) get in, and
    /// nothing we read (Atom feeds, OAI-PMH responses) has one.
    static func parse(_ data: Data, source: String) throws -> XMLNode {
        if let line = doctypeLine(data) {
            throw IngestError(source, "refused: the XML has a DOCTYPE declaration (line \(line)); entity declarations are not accepted")
        }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), builder.error == nil, builder.stack.isEmpty, let root = builder.root else {
            let line = parser.lineNumber, column = parser.columnNumber
            let reason = builder.error.map { ($0 as NSError).localizedDescription } ?? parser.parserError.map { "\($0)" } ?? "no root element"
            throw IngestError(source, "malformed XML at line \(line), column \(column): \(reason)")
        }
        return root
    }

    /// The line of a `<!DOCTYPE` in the prolog (before the root element; case-insensitive), or nil.
    static func doctypeLine(_ data: Data) -> Int? {
        let needle = Array("<!doctype".utf8)
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.count >= needle.count else { return nil }
            var line = 1
            var i = 0
            while i <= bytes.count - needle.count {
                let b = bytes[i]
                if b == 0x0A { line += 1 }
                if b == UInt8(ascii: "<"), (bytes[i + 1] | 0x20) >= UInt8(ascii: "a"), (bytes[i + 1] | 0x20) <= UInt8(ascii: "z") {
                    return nil  // the root element: a DOCTYPE can only come before it
                }
                if b == UInt8(ascii: "<"), bytes[i + 1] == UInt8(ascii: "!") {
                    var match = true
                    for k in 2..<needle.count where bytes[i + k] | 0x20 != needle[k] {
                        match = false
                        break
                    }
                    if match { return line }
                }
                i += 1
            }
            return nil
        }
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLNode] = []
        var root: XMLNode?
        var error: (any Error)?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            let node = XMLNode(name: local, attributes: attributeDict)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            stack.last?.text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            error = error ?? parseError
        }
    }
}
