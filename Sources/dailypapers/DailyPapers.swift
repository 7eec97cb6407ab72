import ArgumentParser

@main
struct DailyPapers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dailypapers",
        abstract: "Daily Papers: a self-hosted daily page of notable arXiv papers, with search, trending lists, feeds and a Hugging Face compatible API.",
        discussion: """
            Configuration comes from flags, then environment variables, then defaults; each option's \
            help names its variable.
            """,
        subcommands: [Serve.self, Import.self, Harvest.self, Embed.self, Search.self, Digest.self, Eval.self, User.self, Stats.self, Migrate.self, MigrateData.self])
}
