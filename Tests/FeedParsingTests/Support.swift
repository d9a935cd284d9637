import Articles
import FeedParsing
import Foundation

/// Parses `bytes` fed in chunks of `chunkSize` bytes and collects the items. With
/// `defersItems`, items are handed over as collected (`PendingItem`) and made here, after
/// the parse, as `parse`'s second thread does; their warnings end the result's.
func parse(
    _ bytes: [UInt8], chunkSize: Int? = nil, limits: FeedParserLimits = FeedParserLimits(), defersItems: Bool = false
) -> (items: [FeedItem], result: FeedParseResult) {
    var items: [FeedItem] = []
    var pending: [PendingItem] = []
    let parser =
        defersItems
        ? FeedParser(limits: limits, onPendingItem: { pending.append($0) })
        : FeedParser(limits: limits) { items.append($0) }
    bytes.withUnsafeBytes { all in
        let size = chunkSize ?? max(all.count, 1)
        var offset = 0
        while offset < all.count {
            let end = min(offset + size, all.count)
            parser.consume(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
            offset = end
        }
    }
    var result = parser.finish()
    for item in pending { items.append(item.item(warnings: &result.warnings)) }
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
    date.map(CivilTime.rfc3339)
}
