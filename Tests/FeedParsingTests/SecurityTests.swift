import Articles
import FeedParsing
import FeedParsingDetail
import Foundation
import Testing

/// Hostile documents (SPEC 8): nothing is read from disk or network, nothing expands, and
/// every limit holds.
@Suite struct SecurityTests {
    static let marker = "XXE-MARKER-7f3a9c"

    static func secretFile() throws -> String {
        let path = NSTemporaryDirectory() + "critfix-secret-\(UUID().uuidString).txt"
        try "\(marker)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func everyText(_ items: [FeedItem], _ result: FeedParseResult) -> String {
        var all = [result.title ?? "", result.error?.description ?? ""] + result.warnings.map(\.description)
        for item in items {
            all += [item.id, item.title, item.link ?? "", item.summary] + item.categories
            all += item.products.flatMap { [$0.name, $0.affected ?? "", $0.fixed ?? ""] }
        }
        return all.joined(separator: "\n")
    }

    @Test func externalEntityIsNeverRead() throws {
        let path = try Self.secretFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://\(path)">]>
            <rss version="2.0"><channel><title>&xxe;</title>
            <item><guid>a</guid><title>t &xxe;</title><description>&xxe;</description></item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(!Self.everyText(items, result).contains(Self.marker))
        let error = try #require(result.error)
        #expect(error.message.contains("Entity 'xxe' not defined"))
        #expect(error.line == 3)
    }

    @Test func parameterEntityAndExternalDTDAreNeverLoaded() throws {
        let path = try Self.secretFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dtd = NSTemporaryDirectory() + "critfix-\(UUID().uuidString).dtd"
        try "<!ENTITY leak SYSTEM \"file://\(path)\">".write(toFile: dtd, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: dtd) }
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE rss SYSTEM "file://\(dtd)" [
              <!ENTITY % remote SYSTEM "file://\(dtd)">
              %remote;
            ]>
            <rss version="2.0"><channel><title>T</title>
            <item><guid>a</guid><title>before &leak; after</title></item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(!Self.everyText(items, result).contains(Self.marker))
        // With an (unread) external subset an undeclared entity is not fatal: the item is
        // kept, the reference stays visible as text.
        #expect(items.map(\.title) == ["before &leak; after"])
    }

    @Test func externalDTDOverHTTPIsNotFetched() throws {
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://127.0.0.1:9/rss-0.91.dtd">
            <rss version="0.91"><channel><title>Old</title>
            <item><title>caf&eacute;&nbsp;au lait</title><link>https://example.com/1</link></item>
            </channel></rss>
            """
        let start = Date()
        let (items, result) = parse(xml)
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(result.error == nil)
        #expect(items.map(\.title) == ["café au lait"])
        #expect(items.map(\.id) == ["https://example.com/1"])
    }

    @Test func billionLaughsDoesNotExpand() throws {
        var xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n"
        xml += "<!ENTITY lol1 \"" + String(repeating: "&lol;", count: 10) + "\">\n"
        for level in 2...9 {
            xml += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">\n"
        }
        xml += "]>\n<rss version=\"2.0\"><channel><title>&lol9;</title><item><guid>a</guid></item></channel></rss>"
        let start = Date()
        let (items, result) = parse(xml)
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(items.isEmpty)
        let error = try #require(result.error)
        #expect(error.message.contains("Entity 'lol9' not defined"))
        #expect(error.line == 14)
    }

    @Test func deepNestingStops() throws {
        let depth = 10_000
        let xml =
            "<rss version=\"2.0\"><channel><item><guid>deep</guid>"
            + String(repeating: "<x>", count: depth) + String(repeating: "</x>", count: depth)
            + "</item></channel></rss>"
        let (items, result) = parse(xml)
        #expect(items.isEmpty)
        let error = try #require(result.error)
        #expect(error.message == "nesting deeper than 256 elements")

        let (_, tight) = parse(xml, limits: FeedParserLimits(maxDepth: 20))
        #expect(tight.error?.message == "nesting deeper than 20 elements")
    }

    @Test func truncatedDocumentKeepsEarlierItems() throws {
        let xml = """
            <rss version="2.0"><channel><title>Cut</title>
            <item><guid>one</guid><title>One</title></item>
            <item><guid>two</guid><title>Two</title></item>
            <item><guid>three</guid><title>Thr
            """
        let (items, result) = parse(xml, chunkSize: 10)
        #expect(items.map(\.id) == ["one", "two"])
        #expect(result.itemCount == 2)
        let error = try #require(result.error)
        #expect(error.message.hasPrefix("not well-formed: "))
        #expect(error.line == 4)
        #expect(error.description.hasPrefix("line 4: not well-formed: "))
    }

    @Test func tagMismatchIsReportedWithLine() throws {
        let xml = """
            <rss version="2.0"><channel>
            <item><guid>one</guid></item>
            <item><guid>two</guid>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(items.map(\.id) == ["one"])
        #expect(result.error?.description == "line 4: not well-formed: Opening and ending tag mismatch: item line 3 and channel")
    }

    @Test func invalidUTF8IsAnError() throws {
        var bytes = Array("<rss version=\"2.0\"><channel><item><guid>a</guid><title>ok</title></item>\n<item><title>".utf8)
        bytes += [0xC3, 0x28, 0xFF, 0xFE]
        bytes += Array("</title></item></channel></rss>".utf8)
        let (items, result) = parse(bytes)
        #expect(items.map(\.id) == ["a"])
        let error = try #require(result.error)
        #expect(error.message.contains("UTF-8"))
        #expect(error.line == 2)
    }

    /// libxml2 2.9.14 reports a failed encoding conversion from inside its input buffer
    /// code; halting the parser right there used to crash it. Whatever the outcome, the
    /// parse must end normally.
    @Test(arguments: [1, 3, 4096]) func encodingConversionFailureDoesNotCrash(chunkSize: Int) throws {
        let text = "<?xml version=\"1.0\" encoding=\"utf-32\"?>\n<!--\nComment\n-->\n<rss>\n</rss>"
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let value = scalar.value
            bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        let (items, result) = parse(bytes, chunkSize: chunkSize)
        #expect(items.isEmpty)
        #expect(result.error != nil || result.format == .rss2)
    }

    @Test func undefinedEntityIsAnErrorWithItsLine() throws {
        let xml = """
            <rss version="2.0"><channel>
            <item><guid>a</guid>
            <title>Caf&eacute;</title></item>
            </channel></rss>
            """
        let (_, result) = parse(xml)
        let error = try #require(result.error)
        #expect(error.line == 3)
        #expect(error.message == "not well-formed: Entity 'eacute' not defined")
    }

    @Test func htmlPageIsNotAFeed() throws {
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><title>Login</title></head><body><p>Please sign in</p></body></html>
            """
        let (items, result) = parse(html)
        #expect(items.isEmpty)
        #expect(result.format == nil)
        #expect(result.error?.message == "not a feed: the root element is <html>")
        #expect(result.error?.line == 2)

        let (_, xhtml) = parse("<h:html xmlns:h=\"http://www.w3.org/1999/xhtml\"/>")
        #expect(xhtml.error?.message == "not a feed: the root element is <h:html>")
    }

    @Test func emptyAndGarbageInput() throws {
        #expect(parse([UInt8]()).result.error?.message == "empty document")
        #expect(parse("   ").result.error != nil)
        #expect(
            parse("{\"json\": true}").result.error?.message
                == "not a feed: JSON without a CSAF \"document\" or a ROLIE \"feed\" (keys: json)")
        #expect(parse("<").result.error?.message.hasPrefix("not well-formed") == true)
    }

    @Test func hugeTextIsTruncatedWithAWarning() throws {
        let limits = FeedParserLimits(maxTextBytes: 1000)
        // 2-byte characters straddle the cut: the text must stay valid UTF-8.
        let long = String(repeating: "ż", count: 5000)
        let xml = "<rss version=\"2.0\"><channel><item><guid>a</guid>\n<title>\(long)</title></item></channel></rss>"
        let (items, result) = parse(xml, chunkSize: 333, limits: limits)
        let item = try #require(items.first)
        #expect(item.title == String(repeating: "ż", count: 500))
        #expect(result.error == nil)
        #expect(result.warnings.map(\.description) == ["line 2: title text longer than 1000 bytes, truncated"])
    }

    @Test func documentSizeLimit() throws {
        var xml = "<rss version=\"2.0\"><channel>"
        for index in 0..<100 { xml += "<item><guid>\(index)</guid></item>\n" }
        xml += "</channel></rss>"
        let (items, result) = parse(xml, chunkSize: 100, limits: FeedParserLimits(maxDocumentBytes: 1000))
        #expect(result.error?.message == "document larger than 1000 bytes")
        #expect(items.count > 0 && items.count < 100)
        // Chunks after the error are ignored; finish is idempotent.
    }

    @Test func textOutsideWantedFieldsIsNotBuffered() throws {
        // A 5 MB text node in an element nobody reads: no truncation warning, no error.
        let big = String(repeating: "a", count: 5 << 20)
        let xml = "<rss version=\"2.0\"><channel><item><guid>a</guid><junk>\(big)</junk></item></channel></rss>"
        let (items, result) = parse(xml, chunkSize: 64 << 10, limits: FeedParserLimits(maxTextBytes: 1024))
        #expect(items.map(\.id) == ["a"])
        #expect(result.error == nil)
        #expect(result.warnings.isEmpty)
    }

    @Test func unreadableFileIsAnIOError() throws {
        let result = FeedParser.parse(file: "/nonexistent/critfix/feed.xml") { _ in }
        #expect(result.error?.message.hasPrefix("cannot open /nonexistent/critfix/feed.xml") == true)
    }

    /// Detail mode reads on past errors (libxml2's recovery): it still loads nothing, expands
    /// no declared entity and keeps every bound.
    @Test func detailModeKeepsTheHardening() throws {
        let path = try Self.secretFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM \"file://\(path)\">\n<!ENTITY lol \"lol\">\n"
        for level in 1...9 {
            let inner = level == 1 ? "&lol;" : "&lol\(level - 1);"
            xml += "<!ENTITY lol\(level) \"" + String(repeating: inner, count: 10) + "\">\n"
        }
        xml += "]>\n<rss version=\"2.0\"><channel><title>&lol9; &xxe;</title>"
        xml += "<item><guid>a</guid><title>t &xxe; &lol9;</title><description>&xxe;</description></item></channel></rss>"
        let (result, detail, entries) = FeedParser.parseDetailed(data: Array(xml.utf8))
        #expect(!detail.isWellFormed)
        #expect(result.error?.message.contains("not defined") == true)
        var texts = [detail.title?.value ?? ""] + result.warnings.map(\.description)
        for (item, entry) in entries {
            texts += [item.title, item.summary, entry.title?.value ?? "", entry.summary?.value ?? ""]
        }
        let all = texts.joined(separator: "\n")
        #expect(!all.contains(Self.marker))
        #expect(!all.contains("lollol"))
        // The references stay visible as written.
        #expect(entries.map(\.detail.title?.value) == ["t &xxe; &lol9;"])

        let depth = 10_000
        let deep =
            "<rss version=\"2.0\"><channel><item><guid>deep</guid>"
            + String(repeating: "<x>", count: depth) + String(repeating: "</x>", count: depth)
            + "</item></channel></rss>"
        let (deepResult, _, _) = FeedParser.parseDetailed(data: Array(deep.utf8))
        #expect(deepResult.error?.message == "nesting deeper than 256 elements")
        let (tight, _, _) = FeedParser.parseDetailed(data: Array(deep.utf8), limits: FeedParserLimits(maxDepth: 20))
        #expect(tight.error?.message == "nesting deeper than 20 elements")
    }
}

