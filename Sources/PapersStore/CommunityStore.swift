import Foundation
import PapersCore

/// Storage for the community: members, sessions, API tokens, votes, comments, and featuring
/// papers by hand. Session and API tokens are passed in and kept as hashes only.
public protocol CommunityStore: Sendable {
    /// Creates a member; throws `CommunityStoreError.taken` when the username or email is in use.
    func createMember(username: String, email: String, passwordHash: String, isAdmin: Bool, now: Date) async throws -> Member
    func member(_ id: Member.ID) async throws -> Member?
    /// A member and their password hash, by username or email (either, case-insensitive).
    func credentials(login: String) async throws -> (member: Member, passwordHash: String)?
    /// Sets a new password hash and ends every session of the member except `keeping`.
    func setPassword(_ id: Member.ID, passwordHash: String, keepingSession keeping: String?) async throws
    /// Grants or revokes the admin role; false when there is no such member.
    func setAdmin(username: String, isAdmin: Bool) async throws -> Bool
    func members() async throws -> [Member]

    func createSession(tokenHash: String, member: Member.ID, now: Date, expires: Date) async throws
    /// The member of an unexpired session.
    func sessionMember(tokenHash: String, now: Date) async throws -> Member?
    func deleteSession(tokenHash: String) async throws

    func createAPIToken(member: Member.ID, name: String, tokenHash: String, prefix: String, now: Date) async throws -> APITokenInfo
    func apiTokens(member: Member.ID) async throws -> [APITokenInfo]
    /// Revokes one of the member's tokens; false when they have no such token.
    func deleteAPIToken(_ id: Int64, member: Member.ID) async throws -> Bool
    /// The owner of a token, noting when it was used.
    func apiTokenMember(tokenHash: String, now: Date) async throws -> Member?

    /// Sets (`upvoted` true or false) or toggles (nil) a member's vote; the new state and the
    /// paper's total upvotes, or nil when the paper is unknown.
    func vote(member: Member.ID, paper: ArxivID, upvoted: Bool?, now: Date) async throws -> (upvoted: Bool, upvotes: Int)?
    /// Which of `papers` the member has upvoted.
    func votedPapers(member: Member.ID, among papers: [ArxivID]) async throws -> Set<ArxivID>

    /// Adds a comment; nil when the paper is unknown.
    func addComment(member: Member.ID, paper: ArxivID, body: String, now: Date) async throws -> PaperComment?
    /// Every comment on a paper, oldest first, hidden ones included (the page decides what to show).
    func comments(paper: ArxivID) async throws -> [PaperComment]
    func comment(_ id: PaperComment.ID) async throws -> PaperComment?
    func deleteComment(_ id: PaperComment.ID) async throws
    func setCommentHidden(_ id: PaperComment.ID, hidden: Bool, now: Date) async throws

    /// Features a known paper on a day; false when it is already featured that day.
    func feature(paper: ArxivID, day: Day, submitter: Member?, now: Date) async throws -> Bool
    /// Removes a paper from a day; false when it was not featured that day.
    func unfeature(paper: ArxivID, day: Day) async throws -> Bool

    /// Counts an attempt under `key` in a fixed window of `window` seconds kept in the database,
    /// so every process and node on it shares one count: the attempts in the current window
    /// (this one included) and when that window started. A window older than `window` starts
    /// again at `now`.
    func countAttempt(key: String, window: TimeInterval, now: Date) async throws -> (count: Int, windowStart: Date)
}

public enum CommunityStoreError: Error, Equatable, CustomStringConvertible {
    /// The username or email address belongs to another member.
    case taken(field: String)

    public var description: String {
        switch self {
        case let .taken(field): "that \(field) is already taken"
        }
    }
}
