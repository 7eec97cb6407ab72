import Foundation
import PapersCore

extension PaperStore {
    /// The trending list: the papers featured on `days`, once each, ranked by `TrendingScore`
    /// at `now`. The site's trending page, feed and API (`Catalog.trending`) and the email
    /// digests (`Mailer`) all rank with this one function.
    public func trending(featuredOn days: ClosedRange<Day>, at now: Date) async throws -> [PaperCard] {
        TrendingScore.rank(TrendingScore.onePerPaper(try await featuredCards(FeaturedQuery(days: days))), now: now)
    }
}
