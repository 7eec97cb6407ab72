// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "dailypapers",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dailypapers", targets: ["dailypapers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // Values and rules; no I/O.
        .target(name: "PapersCore"),
        // zlib, for gzipped metadata snapshots.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Storage: the store interface, SQLite (GRDB) implementation, migrations.
        .target(name: "PapersStore", dependencies: [
            "PapersCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Parsers and importers: HF daily JSON, metadata snapshot, arXiv Atom, OAI-PMH.
        .target(name: "PapersIngest", dependencies: [
            "PapersCore", "PapersStore", "CZlib",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The web layer: pages, JSON API, feeds.
        .target(name: "PapersWeb", dependencies: [
            "PapersCore", "PapersStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "dailypapers", dependencies: [
            "PapersCore", "PapersStore", "PapersIngest", "PapersWeb",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TestSupport", dependencies: ["PapersCore"], path: "Tests/TestSupport"),
        .testTarget(name: "PapersCoreTests", dependencies: ["PapersCore", "TestSupport"]),
        .testTarget(name: "PapersStoreTests", dependencies: ["PapersStore", "TestSupport"]),
        .testTarget(name: "PapersIngestTests", dependencies: ["PapersIngest", "PapersStore", "TestSupport"]),
        .testTarget(name: "PapersWebTests", dependencies: [
            "PapersWeb", "PapersStore", "PapersIngest", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)
