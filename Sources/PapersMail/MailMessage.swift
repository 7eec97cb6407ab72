import Foundation
import PapersCore

/// An address in a header: an optional display name and the address itself.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    public var address: String

    public init(_ address: String, name: String? = nil) {
        self.address = address
        self.name = name
    }

    /// Parses "Name <addr@host>" or "addr@host"; nil when the address is not acceptable.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let name = trimmed[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            guard (try? CommunityRules.email(address)) != nil else { return nil }
            self.init(address, name: name.isEmpty ? nil : name)
        } else {
            guard (try? CommunityRules.email(trimmed)) != nil else { return nil }
            self.init(trimmed)
        }
    }

    public var description: String { name.map { "\($0) <\(address)>" } ?? address }

    /// The header form, the name encoded when it is not plain ASCII.
    var header: String {
        guard let name, !name.isEmpty else { return "<\(address)>" }
        let clean = MailMessage.singleLine(name)
        let plain = clean.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0 == " " || "0123456789-".unicodeScalars.contains($0)) }
        return (plain ? clean : MailMessage.encodedWords(clean).joined(separator: " ")) + " <\(address)>"
    }
}

/// Something that cannot go into a message header.
public struct MailHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One email: multipart/alternative with a plain text and an HTML part, both UTF-8 and
/// quoted-printable, and the headers lists need (RFC 2369, RFC 8058). Header values never
/// carry a line break from their inputs: subjects and names are flattened to one line and
/// addresses are checked, so nothing typed into a form or a paper title can add a header.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: MailAddress
    public var subject: String
    public var text: String
    public var html: String
    public var date: Date
    /// Without the angle brackets, e.g. "digest.12.2026-11-23@papers.example.org".
    public var messageID: String
    /// "Daily Papers digest <digest.papers.example.org>".
    public var listID: String?
    /// The one-click unsubscribe URL (https), also given as `List-Unsubscribe-Post`.
    public var unsubscribeURL: String?

    public init(from: MailAddress, to: MailAddress, subject: String, text: String, html: String, date: Date,
                messageID: String, listID: String? = nil, unsubscribeURL: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        self.messageID = messageID
        self.listID = listID
        self.unsubscribeURL = unsubscribeURL
    }

    /// The message as sent: CRLF line ends, no line over 78 characters.
    public func rendered(boundary: String? = nil) throws(MailHeaderError) -> [UInt8] {
        for address in [from.address, to.address] {
            guard (try? CommunityRules.email(address)) != nil else {
                throw MailHeaderError("“\(Self.singleLine(address))” is not an address a message can be sent to")
            }
        }
        for (name, value) in [("Message-ID", messageID), ("List-Unsubscribe", unsubscribeURL ?? "")] {
            guard value.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 && $0 != "<" && $0 != ">" }) else {
                throw MailHeaderError("the \(name) header value has characters a header cannot hold")
            }
        }
        if let listID, listID != Self.singleLine(listID) || !listID.unicodeScalars.allSatisfy(\.isASCII) {
            throw MailHeaderError("the List-Id header value has characters a header cannot hold")
        }
        let boundary = boundary ?? "=_dp_" + TokenSigner.randomBytes(12).map { String(format: "%02x", $0) }.joined()
        var headers = [
            "From: \(from.header)",
            "To: \(to.header)",
            "Subject: \(Self.encodedSubject(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
        ]
        if let listID { headers.append("List-Id: \(listID)") }
        if let unsubscribeURL {
            headers.append("List-Unsubscribe: <\(unsubscribeURL)>")
            headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        }
        headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        var out = headers.joined(separator: "\r\n") + "\r\n\r\n"
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            out += "--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            out += Self.quotedPrintable(body) + "\r\n"
        }
        out += "--\(boundary)--\r\n"
        return Array(out.utf8)
    }

    /// Line breaks and other control characters become spaces; runs of space become one.
    static func singleLine(_ text: String) -> String {
        var out = ""
        var lastWasSpace = false
        for scalar in text.unicodeScalars {
            let space = scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
                || scalar.properties.generalCategory == .lineSeparator || scalar.properties.generalCategory == .paragraphSeparator
            if space {
                if !lastWasSpace { out += " " }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// The subject on one line: plain ASCII when it is, RFC 2047 encoded words otherwise,
    /// folded so no header line is longer than 78 characters.
    static func encodedSubject(_ subject: String) -> String {
        let clean = singleLine(subject)
        if clean.unicodeScalars.allSatisfy({ $0.isASCII }) && clean.count <= 68 && !clean.contains("=?") { return clean }
        return encodedWords(clean).joined(separator: "\r\n ")
    }

    /// RFC 2047 "B" encoded words of at most 75 characters, split between characters.
    static func encodedWords(_ text: String) -> [String] {
        var words = [String]()
        var chunk = [UInt8]()
        func flush() {
            if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
            chunk = []
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 { flush() }  // 45 bytes -> 60 base64 characters
            chunk += bytes
        }
        flush()
        return words.isEmpty ? ["=?UTF-8?B??="] : words
    }

    /// Quoted-printable (RFC 2045) with CRLF line ends and soft breaks before 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            if n > 0 { out += [13, 10] }
            var column = 0
            let bytes = Array(line.utf8)
            for (i, byte) in bytes.enumerated() {
                let last = i == bytes.count - 1
                var piece: [UInt8]
                if (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !last) {
                    piece = [byte]
                } else {
                    piece = [61, hex[Int(byte >> 4)], hex[Int(byte & 15)]]
                }
                // A leading dot is encoded, so no line of the body is ever "." on its own.
                if column == 0 && byte == 46 { piece = [61, 50, 69] }
                if column + piece.count > 75 {
                    out += [61, 13, 10]
                    column = 0
                    if byte == 46 { piece = [61, 50, 69] }
                }
                out += piece
                column += piece.count
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// "Mon, 23 Nov 2026 06:00:00 +0000".
    static func rfc5322Date(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var t = tm()
        gmtime_r(&seconds, &t)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) +0000"
    }
}
