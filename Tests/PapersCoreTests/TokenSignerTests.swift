import Foundation
import PapersCore
import Testing

@Suite struct TokenSignerTests {
    let signer = TokenSigner(secret: Array(repeating: 7, count: 32))
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func roundTripsTheSubject() throws {
        let token = signer.sign(purpose: "confirm", subject: "a.b+c@example.org\nodd", expires: now.addingTimeInterval(60))
        #expect(try signer.verify(token, purpose: "confirm", now: now) == "a.b+c@example.org\nodd")
        #expect(!token.contains("@"))
    }

    @Test func refusesOtherPurposesExpiryTamperingAndOtherKeys() {
        let token = signer.sign(purpose: "confirm", subject: "x@example.org", expires: now.addingTimeInterval(60))
        #expect(throws: TokenError.wrongPurpose) { try signer.verify(token, purpose: "unsubscribe", now: now) }
        #expect(throws: TokenError.expired) { try signer.verify(token, purpose: "confirm", now: now.addingTimeInterval(61)) }
        var tampered = Array(token)
        tampered[3] = tampered[3] == "A" ? "B" : "A"
        #expect(throws: TokenError.self) { try signer.verify(String(tampered), purpose: "confirm", now: now) }
        #expect(throws: TokenError.malformed) { try signer.verify("no-dot-here", purpose: "confirm", now: now) }
        let other = TokenSigner(secret: Array(repeating: 8, count: 32))
        #expect(throws: TokenError.badSignature) { try other.verify(token, purpose: "confirm", now: now) }
    }

    @Test func tagsAreStableAndDistinct() {
        #expect(signer.tag("session-1") == signer.tag("session-1"))
        #expect(signer.tag("session-1") != signer.tag("session-2"))
        #expect(TokenSigner.constantTimeEqual("abc", "abc"))
        #expect(!TokenSigner.constantTimeEqual("abc", "abd"))
        #expect(TokenSigner.randomToken() != TokenSigner.randomToken())
    }
}
