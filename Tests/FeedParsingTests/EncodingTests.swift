import Articles
import FeedParsing
import FeedParsingDetail
import Foundation
import Testing

/// The encoding comes from the BOM or the XML declaration (SPEC 2).
@Suite struct EncodingTests {
    static let polish = "Zażółć gęślą jaźń ŁÓDŹ"

    /// `<?xml … encoding="NAME"?>` followed by a feed whose title and summary are `text`,
    /// encoded byte by byte with `table` (Unicode scalar → byte) for non-ASCII.
    static func singleByteFeed(encoding: String, table: [Character: UInt8]) -> [UInt8] {
        let xml = """
            <?xml version="1.0" encoding="\(encoding)"?>
            <rss version="2.0"><channel><title>\(polish)</title>
            <item><guid>pl-1</guid><title>\(polish)</title><description>&lt;b&gt;\(polish)&lt;/b&gt;</description></item>
            </channel></rss>
            """
        return xml.map { character -> UInt8 in
            if let ascii = character.asciiValue { return ascii }
            return table[character]!
        }
    }

    @Test func iso88592() throws {
        let table: [Character: UInt8] = [
            "ż": 0xBF, "ó": 0xF3, "ł": 0xB3, "ć": 0xE6, "ę": 0xEA, "ś": 0xB6, "ą": 0xB1, "ź": 0xBC, "ń": 0xF1,
            "Ł": 0xA3, "Ó": 0xD3, "D": 0x44, "Ź": 0xAC,
        ]
        let (items, result) = parse(Self.singleByteFeed(encoding: "ISO-8859-2", table: table), chunkSize: 5)
        #expect(result.error == nil)
        #expect(result.title == Self.polish)
        #expect(items.map(\.title) == [Self.polish])
        #expect(items.map(\.summary) == [Self.polish])
    }

    @Test func windows1250() throws {
        let table: [Character: UInt8] = [
            "ż": 0xBF, "ó": 0xF3, "ł": 0xB3, "ć": 0xE6, "ę": 0xEA, "ś": 0x9C, "ą": 0xB9, "ź": 0x9F, "ń": 0xF1,
            "Ł": 0xA3, "Ó": 0xD3, "Ź": 0x8F,
        ]
        let (items, result) = parse(Self.singleByteFeed(encoding: "windows-1250", table: table))
        #expect(result.error == nil)
        #expect(items.map(\.title) == [Self.polish])
    }

    @Test func iso88591() throws {
        let bytes: [UInt8] =
            Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><item><guid>x</guid><title>Caf".utf8)
            + [0xE9, 0x20, 0xFC, 0x62, 0x65, 0x72] + Array("</title></item></channel></rss>".utf8)
        let (items, result) = parse(bytes)
        #expect(result.error == nil)
        #expect(items.map(\.title) == ["Café über"])
    }

    static let utf16Feed = """
        <?xml version="1.0" encoding="UTF-16"?>
        <feed xmlns="http://www.w3.org/2005/Atom"><title>\(polish)</title>
        <entry><id>urn:16</id><title>\(polish) 😀</title></entry></feed>
        """

    @Test(arguments: [true, false]) func utf16WithBOM(littleEndian: Bool) throws {
        var bytes: [UInt8] = littleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF]
        for unit in Self.utf16Feed.utf16 {
            let low = UInt8(unit & 0xFF)
            let high = UInt8(unit >> 8)
            bytes += littleEndian ? [low, high] : [high, low]
        }
        // Odd chunk sizes split code units and surrogate pairs.
        let (items, result) = parse(bytes, chunkSize: 3)
        #expect(result.error == nil)
        #expect(result.format == .atom)
        #expect(result.title == Self.polish)
        #expect(items.map(\.title) == ["\(Self.polish) 😀"])
        #expect(items.map(\.id) == ["urn:16"])
    }

    @Test func utf8WithBOM() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("<rss version=\"2.0\"><channel><item><guid>ż</guid></item></channel></rss>".utf8)
        let (items, result) = parse(bytes, chunkSize: 1)
        #expect(result.error == nil)
        #expect(items.map(\.id) == ["ż"])
    }

    /// Latin-1 bytes of `text` (every character below U+0100).
    static func latin1(_ text: String) -> [UInt8] { text.unicodeScalars.map { UInt8($0.value) } }

    @Test func detailModeReportsTheEncodingLibxml2DecodedWith() throws {
        let cases: [([UInt8], String)] = [
            (Array("<rss version=\"2.0\"><channel><title>x</title></channel></rss>".utf8), "utf-8"),
            (Self.latin1("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Café</title></channel></rss>"), "iso-8859-1"),
            (Self.singleByteFeed(encoding: "windows-1250", table: ["ż": 0xBF, "ó": 0xF3, "ł": 0xB3, "ć": 0xE6, "ę": 0xEA, "ś": 0x9C, "ą": 0xB9, "ź": 0x9F, "ń": 0xF1, "Ł": 0xA3, "Ó": 0xD3, "Ź": 0x8F]), "windows-1250"),
        ]
        for (bytes, encoding) in cases {
            let (result, detail, _) = FeedParser.parseDetailed(data: bytes)
            #expect(result.error == nil)
            #expect(detail.encoding == encoding)
            #expect(detail.isWellFormed == true)
        }
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in Self.utf16Feed.utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let (_, detail, entries) = FeedParser.parseDetailed(data: utf16)
        #expect(detail.encoding == "utf-16le")
        #expect(detail.title?.value == Self.polish)
        #expect(entries.map(\.detail.title?.value) == ["\(Self.polish) 😀"])
    }

    /// Declared ISO-8859-1, written in UTF-8: libxml2 decodes by the declaration (so `é`
    /// reads as `Ã©`); the parse goes through and says why the text looks wrong.
    @Test func utf8BytesDeclaredAsLatin1AreReadByTheDeclarationWithAWarning() throws {
        let xml = """
            <?xml version="1.0" encoding="ISO-8859-1"?>
            <rss version="2.0"><channel><item><guid>x</guid><title>Café über</title></item></channel></rss>
            """
        let (items, result) = parse(Array(xml.utf8), chunkSize: 7)
        #expect(result.error == nil)
        #expect(items.map(\.title) == ["CafÃ© Ã¼ber"])
        #expect(result.warnings.map(\.message) == [
            "the document declares encoding \"ISO-8859-1\" but its bytes are UTF-8: libxml2 decodes by the declaration, "
                + "so non-ASCII text is garbled (the feed should declare encoding=\"UTF-8\")"
        ])
        // Real Latin-1 is not mistaken for it.
        let latin1 = Self.latin1(xml)
        let (latinItems, latinResult) = parse(latin1)
        #expect(latinItems.map(\.title) == ["Café über"])
        #expect(latinResult.warnings.isEmpty)
    }

    /// Declared (or defaulted to) UTF-8, written in ISO-8859-1: not well-formed XML. The items
    /// before the bad byte are kept and the error names the line and the bytes.
    @Test func latin1BytesWithoutADeclarationStopWithAClearError() throws {
        let bytes =
            Array("<rss version=\"2.0\"><channel>\n<item><guid>a</guid><title>ok</title></item>\n<item><guid>b</guid><title>".utf8)
            + Self.latin1("Café") + Array("</title></item></channel></rss>".utf8)
        let (items, result) = parse(bytes)
        #expect(items.map(\.id) == ["a"])
        let error = try #require(result.error)
        #expect(error.line == 3)
        #expect(error.message.contains("Input is not proper UTF-8"))
        #expect(error.message.contains("0xE9"))
    }

    @Test func controlCharactersNeverReachTitlesOrSummaries() throws {
        // DEL and C1 controls are legal XML characters; escaped HTML can carry C0 ones too.
        let xml = """
            <rss version="2.0"><channel><title>Feed\u{7F} name</title>
            <item><guid>c</guid><title>don\u{92}t\u{81} stop \u{7F} now</title>
            <description>&lt;p&gt;a&amp;#1;b &amp;#x7f;c &amp;#146;d\u{85}&lt;/p&gt;</description></item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(result.title == "Feed name")
        // U+0092 is Windows-1252's right quote, U+0085 its ellipsis; U+0081 has no character.
        #expect(items.map(\.title) == ["don’t stop now"])
        #expect(items.map(\.summary) == ["ab c ’d…"])
    }
}

