import Articles
import FeedParsing
import Foundation
import Testing

/// Article ids in SPEC 1's order: fx:article; guid / Atom id / rdf:about; link; SHA-256.
@Suite struct IdentityTests {
    @Test func preferenceOrder() throws {
        let xml = """
            <rss version="2.0" xmlns:fx="urn:critfix:fix:1"><channel>
            <item><fx:article> KB1 </fx:article><guid>g1</guid><link>https://e.com/1</link></item>
            <item><guid>
              g2
            </guid><link>https://e.com/2</link></item>
            <item><link>https://e.com/3</link></item>
            <item><title>No   ids</title><pubDate>Tue, 24 Nov 2026 10:30:00 +0100</pubDate></item>
            <item><title>Bad date</title><pubDate>someday</pubDate></item>
            <item><title>No date</title></item>
            <item><fx:article></fx:article><guid></guid><link>https://e.com/7</link></item>
            </channel></rss>
            """
        let (items, _) = parse(xml)
        #expect(items.count == 7)
        #expect(items[0].id == "KB1")
        #expect(items[1].id == "g2")
        #expect(items[2].id == "https://e.com/3")
        #expect(items[3].id == Digest.sha256Hex("No ids" + "2026-11-24T09:30:00Z"))
        #expect(items[4].id == Digest.sha256Hex("Bad date" + "someday"))
        #expect(items[5].id == Digest.sha256Hex("No date"))
        #expect(items[6].id == "https://e.com/7")
    }

    @Test func itemsSharingOneLinkAreDistinctByGuid() throws {
        let xml = """
            <rss version="2.0"><channel>
            <item><title>A</title><link>https://e.com/kb</link><guid isPermaLink="false">kb-1</guid></item>
            <item><title>B</title><link>https://e.com/kb</link><guid isPermaLink="false">kb-2</guid></item>
            </channel></rss>
            """
        let (items, _) = parse(xml)
        #expect(items.map(\.id) == ["kb-1", "kb-2"])
        #expect(items.map(\.link) == ["https://e.com/kb", "https://e.com/kb"])
    }

    @Test func permalinkGuidServesAsLink() throws {
        let xml = """
            <rss version="2.0"><channel>
            <item><guid>https://e.com/kb/1</guid></item>
            <item><guid isPermaLink="false">https://e.com/kb/2</guid></item>
            </channel></rss>
            """
        let (items, _) = parse(xml)
        #expect(items.map(\.link) == ["https://e.com/kb/1", nil])
    }

    @Test func atomIdBeatsLink() throws {
        let xml = """
            <feed xmlns="http://www.w3.org/2005/Atom">
            <entry><link href="https://e.com/1"/><id>urn:uuid:1</id></entry>
            <entry><link rel="enclosure" href="https://e.com/file.pdf"/><link rel="alternate" href="https://e.com/2"/></entry>
            </feed>
            """
        let (items, _) = parse(xml)
        #expect(items.map(\.id) == ["urn:uuid:1", "https://e.com/2"])
    }
}

@Suite struct TextTests {
    @Test func ampersandsInAttributes() throws {
        let xml = """
            <rss version="2.0" xmlns:fx="urn:critfix:fix:1"><channel><item><guid>a</guid>
            <fx:product id="R&amp;D tools" affected="&gt;=10.5, &lt;10.7.2" fixed="10.7.2"/>
            <fx:product id="x" affected="&#38;&amp;#60; &#x3C;1.0"/>
            </item></channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        let products = try #require(items.first?.products)
        #expect(products.map(\.name) == ["R&D tools", "x"])
        #expect(products.map(\.affected) == [">=10.5, <10.7.2", "&&#60; <1.0"])
        #expect(products.map(\.fixed) == ["10.7.2", nil])
    }

    @Test func summaryIsPlainText() throws {
        let html = """
            &lt;p&gt;&lt;b&gt;Dotyczy:&lt;/b&gt; Payroll&amp;nbsp;DE &amp;mdash; severity 3&lt;/p&gt;
            &lt;script&gt;alert("x")&lt;/script&gt;&lt;style&gt;p { color: red }&lt;/style&gt;
            &lt;!-- comment --&gt;&lt;ul&gt;&lt;li&gt;one&lt;/li&gt;&lt;li&gt;two &amp;amp; three&lt;/li&gt;&lt;/ul&gt;
            &lt;a href="https://e.com/?a=1&amp;amp;b=2"&gt;link&lt;/a&gt; caf&amp;eacute; &amp;#8364;5 &amp;#x142;&amp;oacute;d&amp;zacute;
            &amp;unknown; 3 &lt; 4 &amp;aogon;&amp;Lstrok;&amp;#146;
            """
        let xml = "<rss version=\"2.0\"><channel><item><guid>a</guid><description>\(html)</description></item></channel></rss>"
        let (items, _) = parse(xml)
        #expect(
            items.first?.summary
                == "Dotyczy: Payroll DE — severity 3 one two & three link café €5 łódź &unknown; 3 < 4 ąŁ’")
    }

    @Test func cdataDescription() throws {
        let xml = """
            <rss version="2.0"><channel><item><guid>a</guid>
            <description><![CDATA[<p>Hello <em>CDATA</em> &amp; world</p>]]></description>
            </item></channel></rss>
            """
        #expect(parse(xml).items.first?.summary == "Hello CDATA & world")
    }

    @Test func summaryIsTruncatedTo2000Characters() throws {
        let words = String(repeating: "ż&lt;b&gt;a&lt;/b&gt;ó ", count: 3000)
        let xml = "<rss version=\"2.0\"><channel><item><guid>a</guid><description>\(words)</description></item></channel></rss>"
        let summary = try #require(parse(xml).items.first?.summary)
        // 2000 characters, less the space the cut ends on.
        #expect(summary.count == 1999)
        #expect(summary.hasSuffix("żaó"))
        #expect(summary.hasPrefix("żaó żaó "))
    }

    @Test func contentEncodedIsTheFallbackSummary() throws {
        let xml = """
            <rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
            <item><guid>a</guid><content:encoded>&lt;p&gt;Full&lt;/p&gt;</content:encoded></item>
            <item><guid>b</guid><content:encoded>&lt;p&gt;Full&lt;/p&gt;</content:encoded><description>Short</description></item>
            </channel></rss>
            """
        #expect(parse(xml).items.map(\.summary) == ["Full", "Short"])
    }

    @Test func titlesCollapseWhiteSpaceAndKeepTextAsText() throws {
        let xml = """
            <rss version="2.0"><channel><title>  Feed
              title </title><item><guid>a</guid><title>
              History of the &lt;blink&gt;   tag
            </title></item></channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(result.title == "Feed title")
        #expect(items.first?.title == "History of the <blink> tag")
    }
}
