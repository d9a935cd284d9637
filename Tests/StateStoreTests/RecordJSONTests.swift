import Foundation
import Matching
import Testing

@testable import StateStore

/// Stored records are read and written by hand; Foundation's coders are the oracle.
@Suite struct RecordJSONTests {
    static let hostile = ArticleRecord(
        feed: "kb", id: "KB/1 \"quoted\" \\ back", revision: 3, title: "Poprawka księgowania — \u{1F600} tab\there",
        link: "https://support.example.com/kb/1?a=1&b=2", published: 1_795_000_000.123, updated: nil, severity: 1,
        kind: "critical-fix",
        products: [
            .init(id: "erp-ln", affected: ">=10.5, <10.7.2", fixed: "10.7.2", resolved: true),
            .init(id: "unknown", affected: nil, fixed: nil, resolved: false),
        ],
        categories: ["a", "line\nbreak", "\u{01}control"], summary: "</script> & \u{7F} \r\n end")

    @Test func foundationReadsWhatIsWritten() throws {
        let decoded = try JSONDecoder().decode(ArticleRecord.self, from: Data(RecordJSON.encode(Self.hostile)))
        #expect(decoded == Self.hostile)
    }

    @Test func readsWhatFoundationWrote() throws {
        let text = String(decoding: try JSONEncoder().encode(Self.hostile), as: UTF8.self)
        #expect(try RecordJSON.decodeArticle(text) == Self.hostile)
        // Foundation escapes "/" as "\/" and may write keys in any order.
        #expect(text.contains("\\/"))
    }

    @Test func roundTripsEveryShape() throws {
        var plain = Self.hostile
        plain.link = nil
        plain.published = nil
        plain.products = []
        plain.categories = []
        for record in [Self.hostile, plain] {
            #expect(try RecordJSON.decodeArticle(String(decoding: RecordJSON.encode(record), as: UTF8.self)) == record)
        }
        let matched = [MatchedProduct(product: "erp-ln", version: "10.7.1"), MatchedProduct(product: "bi", version: nil)]
        #expect(try RecordJSON.decodeMatched(String(decoding: RecordJSON.encode(matched), as: UTF8.self)) == matched)
        #expect(try RecordJSON.decodeMatched(String(decoding: try JSONEncoder().encode(matched), as: UTF8.self)) == matched)
        #expect(try RecordJSON.decodeMatched("[]").isEmpty)
        #expect(try RecordJSON.decodeArticle(#"{"feed":"f","id":"\ud83d\ude00","unknown":[1,{"x":null}],"revision":1}"#).id == "😀")
    }

    @Test func refusesBrokenRecords() {
        for text in ["", "{", #"{"feed":"#, #"{"feed":"x"#, #"{"revision":"one"}"#, "[1,"] {
            #expect(throws: RecordJSON.Malformed.self) { try RecordJSON.decodeArticle(text) }
        }
    }
}
