import Articles
import FeedParsing
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
}
