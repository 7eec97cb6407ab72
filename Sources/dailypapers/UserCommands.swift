import ArgumentParser
import Foundation
import PapersCore
import PapersStore
import PapersWeb

struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage member accounts: create members and admins, grant or revoke the admin role, list members.",
        subcommands: [Create.self, SetAdmin.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a member account.",
            discussion: "The password is read from standard input (one line), so it stays out of the shell history and the process list.")

        @OptionGroup var storeOptions: StoreOptions
        @Option(help: "Username: 2-32 letters, digits, - and _.") var username: String
        @Option(help: "Email address.") var email: String
        @Flag(help: "Make the member an admin (feature and unfeature papers, hide comments).") var admin = false

        func run() async throws {
            let username: String, email: String
            do {
                username = try CommunityRules.username(self.username)
                email = try CommunityRules.email(self.email)
            } catch { throw ValidationError("--\(error.field) \(error.problem)") }
            if isatty(STDIN_FILENO) != 0 { printError("Password (then Enter):") }
            guard let password = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
            do { try CommunityRules.password(password) } catch { throw ValidationError("the password \(error.problem)") }
            let store = try await storeOptions.openStore()
            let community = Community(store: store, secret: try await siteSecret(store))
            do {
                let member = try await store.createMember(username: username, email: email,
                                                          passwordHash: try await community.hashPassword(password),
                                                          isAdmin: admin, now: Date())
                print("created \(member.isAdmin ? "admin" : "member") \(member.username) (id \(member.id))")
            } catch let error as CommunityStoreError {
                throw ValidationError(error.description)
            }
        }
    }

    struct SetAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-admin", abstract: "Grant (or with --revoke, take away) the admin role.")
        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The member's username.") var username: String
        @Flag(help: "Take the admin role away instead.") var revoke = false

        func run() async throws {
            let store = try await storeOptions.openStore()
            guard try await store.setAdmin(username: username, isAdmin: !revoke) else {
                throw ValidationError("there is no member named \(username)")
            }
            print("\(username) is \(revoke ? "no longer" : "now") an admin")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List members.")
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            for member in try await storeOptions.openStore().members() {
                print("\(member.id)\t\(member.username)\t\(member.email)\t\(member.isAdmin ? "admin" : "member")\t\(Timestamp.iso8601(member.createdAt))")
            }
        }
    }
}
