import Articles
import Foundation
import Matching

/// A row as the planner's thread made it: only what its columns take (a notification's
/// article is a key, not the article, which copying row by row cost 3% of W3's CPU).
enum OutboxRow: Sendable {
    case article(key: String, revision: Int, feed: String, data: [UInt8])
    case notification(NotificationRow)
    case delivery(OutboxDelivery)
    case fetches([(name: String, fetch: FetchRecord)])
}

struct NotificationRow: Sendable {
    var id: Int64
    var customer: String
    var plan: Plan
    var articleKey: String
    var revision: Int
    var severity: Int
    var kind: Kind
    var published: Double?
    var matched: [UInt8]
}

/// SPEC 5's dispatch order as both stores keep it in columns.
enum DispatchOrder {
    /// Sorts undated articles after every dated one.
    static let undated = 1e15

    static func planRank(_ plan: Plan) -> Int {
        switch plan {
        case .elite: 0
        case .premium: 1
        case .xtreme: 2
        }
    }
}
