// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "dailypapers",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dailypapers", targets: ["dailypapers"]),
        .executable(name: "minilm-bench", targets: ["minilm-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Values and rules; no I/O. (Crypto: HMAC for signed tokens.)
        .target(name: "PapersCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // zlib, for gzipped metadata snapshots.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Storage: the store interface and its value types; no database.
        .target(name: "PapersStore", dependencies: ["PapersCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The embedded store: SQLite through GRDB, its migrations, FTS5.
        .target(name: "PapersSQLite", dependencies: [
            "PapersCore", "PapersStore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The shared store: PostgreSQL through postgres-nio, its migrations, tsvector search.
        .target(name: "PapersPostgres", dependencies: [
            "PapersCore", "PapersStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Opens the store a URL names: SQLite or PostgreSQL. Only the command line and tests use it.
        .target(name: "PapersBackends", dependencies: [
            "PapersStore", "PapersSQLite", "PapersPostgres", .product(name: "Logging", package: "swift-log"),
        ]),
        // Parsers, importers and harvesters: HF daily JSON, metadata snapshot, arXiv Atom, OAI-PMH.
        .target(name: "PapersIngest", dependencies: [
            "PapersCore", "PapersStore", "CZlib",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // OpenBLAS from Debian's libopenblas-dev (cblas.h via pkg-config or the default path).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // all-MiniLM-L6-v2 in Swift: safetensors, WordPiece, the BERT encoder on cblas_sgemm.
        .target(name: "MiniLM", dependencies: ["COpenBLAS", "CMiniLMKernels"]),
        // An AVX2/FMA kernel for a few rows times a weight matrix (short queries), chosen at run time.
        .target(name: "CMiniLMKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Keyword, vector and hybrid ranking, similar papers, evaluation; knows nothing of HTTP.
        .target(name: "PapersSearch", dependencies: [
            "PapersCore", "PapersStore", "MiniLM", "CMiniLMKernels",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Email: message composition, the SMTP client (SwiftNIO), the file transport, the outbox, digests.
        .target(name: "PapersMail", dependencies: [
            "PapersCore", "PapersStore", "PapersSearch",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The site's rules below the web layer, shared with the command line and background work:
        // the catalog's lists and trending, and the community's actions (votes, comments,
        // submissions, featuring) with their rate limits and cache clearing.
        .target(name: "PapersServices", dependencies: ["PapersCore", "PapersStore", "PapersSearch", "PapersIngest"]),
        // The web layer: pages, JSON API, feeds, accounts and sessions.
        .target(name: "PapersWeb", dependencies: [
            "PapersCore", "PapersStore", "PapersSearch", "PapersIngest", "PapersMail", "PapersServices",
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            // Series through swift-metrics, exposed on /metrics by swift-prometheus.
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "dailypapers", dependencies: [
            "PapersCore", "PapersStore", "PapersBackends", "PapersIngest", "PapersSearch", "PapersMail", "PapersServices", "PapersWeb", "MiniLM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // Embedding throughput and query latency, driven by bench/embed_bench.py.
        .executableTarget(name: "minilm-bench", dependencies: ["MiniLM"]),
        .target(name: "TestSupport", dependencies: [
            "PapersCore", "PapersSearch", "PapersStore", "PapersBackends", "PapersPostgres",
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
        ],
                path: "Tests/TestSupport"),
        .testTarget(name: "PapersCoreTests", dependencies: ["PapersCore", "TestSupport"]),
        .testTarget(name: "PapersStoreTests", dependencies: [
            "PapersStore", "PapersSQLite", "PapersPostgres", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "PapersIngestTests", dependencies: ["PapersIngest", "PapersStore", "TestSupport"]),
        .testTarget(name: "MiniLMTests", dependencies: ["MiniLM", "CMiniLMKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "PapersSearchTests", dependencies: ["PapersSearch", "PapersStore", "MiniLM", "TestSupport"]),
        .testTarget(name: "PapersMailTests", dependencies: [
            "PapersMail", "TestSupport", "PapersStore", "PapersSearch", "PapersCore", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "PapersServicesTests", dependencies: ["PapersServices", "TestSupport", "PapersStore", "PapersIngest", "PapersCore"]),
        .testTarget(name: "PapersWebTests", dependencies: [
            "PapersWeb", "PapersServices", "PapersStore", "PapersIngest", "PapersMail", "PapersSearch", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Snapshots"]),
    ]
)
