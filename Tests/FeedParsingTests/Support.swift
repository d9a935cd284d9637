import Articles
import FeedParsing
import Foundation

/// Parses `bytes` fed in chunks of `chunkSize` bytes and collects the items.
func parse(
    _ bytes: [UInt8], chunkSize: Int? = nil, limits: FeedParserLimits = FeedParserLimits(), defersSummaries: Bool = false
) -> (items: [FeedItem], result: FeedParseResult) {
    var items: [FeedItem] = []
    let parser = FeedParser(limits: limits) { items.append($0) }
    parser.defersSummaries = defersSummaries
    bytes.withUnsafeBytes { all in
        let size = chunkSize ?? max(all.count, 1)
        var offset = 0
        while offset < all.count {
            let end = min(offset + size, all.count)
            parser.consume(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
            offset = end
        }
    }
    let result = parser.finish()
    return (items, result)
}

func parse(
    _ xml: String, chunkSize: Int? = nil, limits: FeedParserLimits = FeedParserLimits()
) -> (items: [FeedItem], result: FeedParseResult) {
    parse(Array(xml.utf8), chunkSize: chunkSize, limits: limits)
}

/// `2026-11-24T09:30:00Z` → Date.
func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)!
}

func iso(_ date: Date?) -> String? {
    date.map(Timestamp.rfc3339)
}
