import Articles
import FeedParsing
import FeedParsingDetail
import Foundation
import Testing

@Suite struct RSS2Tests {
    static let specExample = """
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0" xmlns:fx="urn:critfix:fix:1">
         <channel>
          <title>ERP LN — critical fixes</title>
          <link>https://support.example.com/</link>
          <item>
           <title>KB 2245871: Poprawka krytyczna księgowania</title>
           <link>https://support.example.com/kb/2245871</link>
           <guid isPermaLink="false">kb-2245871</guid>
           <pubDate>Tue, 24 Nov 2026 09:30:00 +0000</pubDate>
           <fx:article>KB2245871</fx:article>          <!-- optional stable id -->
           <fx:revision>2</fx:revision>                <!-- optional, default 1 -->
           <fx:severity>1</fx:severity>                <!-- 1..4 -->
           <fx:kind>critical-fix</fx:kind>
           <fx:product id="erp-ln" affected="&gt;=10.5, &lt;10.7.2" fixed="10.7.2"/>
           <fx:product id="erp-m3"/>                   <!-- no range: every version -->
           <description>&lt;p&gt;Posting &lt;b&gt;fails&lt;/b&gt; when&amp;nbsp;the period is closed.&lt;/p&gt;</description>
          </item>
         </channel>
        </rss>
        """

    @Test func specExampleWithTheFixExtension() throws {
        let (items, result) = parse(Self.specExample)
        #expect(result.error == nil)
        #expect(result.warnings.isEmpty)
        #expect(result.format == .rss2)
        #expect(result.title == "ERP LN — critical fixes")
        #expect(result.itemCount == 1)
        let item = try #require(items.first)
        #expect(item.id == "KB2245871")
        #expect(item.revision == 2)
        #expect(item.title == "KB 2245871: Poprawka krytyczna księgowania")
        #expect(item.link == "https://support.example.com/kb/2245871")
        #expect(item.published == utc("2026-11-24T09:30:00Z"))
        #expect(item.updated == nil)
        #expect(item.severity == 1)
        #expect(item.kind == .criticalFix)
        #expect(
            item.products == [
                ProductReference(name: "erp-ln", affected: ">=10.5, <10.7.2", fixed: "10.7.2", origin: .identifier),
                ProductReference(name: "erp-m3", affected: nil, fixed: nil, origin: .identifier),
            ])
        #expect(item.categories.isEmpty)
        #expect(item.summary == "Posting fails when the period is closed.")
        #expect(item.line == 6)
    }

    @Test func anItemMadeOnAnotherThreadIsTheSameItem() throws {
        // `parse` hands items over as collected and makes them on its writer thread: the
        // items and the warnings are those of a parse that makes them itself — here for
        // HTML, escaped HTML, CDATA, plain text, Atom content, links, ids, dates that do and
        // do not parse, categories with domains and schemes, products and bad values, CVRF
        // (whose item the parser finishes itself), and every document of the peer suite.
        let rss = """
            <rss version="2.0" xmlns:fx="urn:critfix:fix:1" xmlns:dc="http://purl.org/dc/elements/1.1/"
                 xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>
            <item><guid>a</guid><description>&lt;p&gt;Fix &amp;amp; &lt;b&gt;ważne&lt;/b&gt;&lt;/p&gt;  more	text</description>
              <title>  First   title </title><title>second</title><pubDate>not a date</pubDate><dc:date>2026-11-02T10:00:00Z</dc:date>
              <category domain="severity">2</category><category domain=" kind ">patch</category><category>plain</category>
              <category domain="severity">seven</category><fx:severity>x</fx:severity><fx:kind>nonsense</fx:kind>
              <fx:revision>-1</fx:revision><fx:product affected="&lt;10.7" fixed="10.7"/><fx:product affected="=1"/>
              <fx:product id=" erp-ln  m3 " fixed=" 2 "/><dc:subject> subj </dc:subject></item>
            <item><guid isPermaLink="true">https://x.example/b</guid><guid>ignored</guid>
              <description><![CDATA[<ul><li>one</li><li>two &eacute;</li></ul>]]></description>
              <atom:link rel="self" href="https://x.example/self"/><atom:link href=" https://x.example/alt "/>
              <link>https://x.example/late</link></item>
            <item><guid isPermaLink="false">   </guid><link>  </link><link>https://x.example/c</link><title>t</title>
              <pubDate>Tue, 24 Nov 2026 11:59:40 +0000</pubDate></item>
            <item><title>only a title</title></item>
            </channel></rss>
            """
        let atom = """
            <feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>f</id>
            <entry><id>e1</id><title type="html">&lt;b&gt;x&lt;/b&gt;</title><summary type="text">  plain   words </summary>
              <category term="security" scheme="kind"/><category term="2" scheme="severity"/><category scheme="x"/>
              <link rel="alternate" href="https://x.example/e1"/><updated>2026-11-03T00:00:00Z</updated></entry>
            <entry><id>e2</id><title>y</title><content type="html">&lt;p&gt;html &lt;i&gt;content&lt;/i&gt;&lt;/p&gt;</content>
              <summary>wins over content</summary><content src="x"/></entry>
            </feed>
            """
        let rdf = """
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="c"><title>t</title></channel>
            <item rdf:about=" https://x.example/r1 "><title>r1</title></item><item rdf:about=""><title>r2</title></item>
            </rdf:RDF>
            """
        var documents = [rss, atom, rdf, CVRFTests.cvrf12(), CVRFTests.cvrf12(withThreat: false)].map { Array($0.utf8) }
        #expect(parse(Array(CVRFTests.cvrf12().utf8), defersItems: true).items.count == 1, "a CVRF item is handed over finished")
        let peerFiles = FileManager.default.enumerator(atPath: PeerSuiteTests.folder.path)?
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".xml") }.sorted() ?? []
        #expect(peerFiles.count > 100, "the peer suite is beside the repository")
        for file in peerFiles {
            documents.append(Array(try Data(contentsOf: PeerSuiteTests.folder.appendingPathComponent(file))))
        }
        for document in documents {
            let direct = parse(document)
            let deferred = parse(document, defersItems: true)
            #expect(deferred.items == direct.items)
            let order = { (a: FeedWarning, b: FeedWarning) in (a.line ?? 0, a.message) < (b.line ?? 0, b.message) }
            #expect(deferred.result.warnings.sorted(by: order) == direct.result.warnings.sorted(by: order))
            #expect(deferred.result.error == direct.result.error)
        }
        let sample = parse(Array(rss.utf8)).items
        #expect(sample.map(\.id) == ["a", "https://x.example/b", "https://x.example/c", sample[3].id])
        #expect(sample[0].title == "First title")
        #expect(sample[1].link == "https://x.example/alt")
        #expect(sample[0].products.map(\.name) == ["erp-ln m3"])
    }

    @Test func categoriesOnly() throws {
        let xml = """
            <rss version="2.0"><channel><title>Plain</title>
            <item>
              <title>Service pack 7</title>
              <guid>sp-7</guid>
              <category domain="severity">2</category>
              <category domain="kind">service-pack</category>
              <category domain="product">ERP LN 10.7</category>
              <category domain="product">WMS</category>
              <category>Finance</category>
            </item>
            <item>
              <title>Bad values</title>
              <guid>bad</guid>
              <category domain="severity">7</category>
              <category domain="kind">hotfix</category>
            </item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(items.count == 2)
        let first = items[0]
        #expect(first.severity == 2)
        #expect(first.kind == .servicePack)
        #expect(
            first.products == [
                ProductReference(name: "ERP LN 10.7", origin: .category),
                ProductReference(name: "WMS", origin: .category),
            ])
        #expect(first.categories == ["2", "service-pack", "ERP LN 10.7", "WMS", "Finance"])
        #expect(first.revision == 1)
        let second = items[1]
        #expect(second.severity == nil)
        #expect(second.kind == nil)
        #expect(result.warnings.map(\.description) == [
            "line 14: category severity '7' is not 1..4",
            "line 15: category kind 'hotfix' is not one of \(Kind.allNames)",
        ])
    }

    @Test func badExtensionValuesWarnAndLeaveFieldsEmpty() throws {
        let xml = """
            <rss version="2.0" xmlns:f="urn:critfix:fix:1"><channel>
            <item>
            <guid>x</guid>
            <f:severity>7</f:severity>
            <f:kind>urgent</f:kind>
            <f:revision>zero</f:revision>
            <f:product affected="1.0"/>
            </item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        let item = try #require(items.first)
        #expect(item.severity == nil)
        #expect(item.kind == nil)
        #expect(item.revision == 1)
        #expect(item.products.isEmpty)
        #expect(result.warnings.map(\.description) == [
            "line 4: fx:severity '7' is not 1..4",
            "line 5: fx:kind 'urgent' is not one of \(Kind.allNames)",
            "line 6: fx:revision 'zero' is not a positive integer, using 1",
            "line 7: fx:product without an id, ignored",
        ])
    }

    @Test func namespacesAreMatchedByURINotPrefix() throws {
        let xml = """
            <rss version="2.0" xmlns:fix="urn:critfix:fix:1" xmlns:fx="urn:other"><channel>
            <item><guid>a</guid><fix:severity>3</fix:severity><fx:severity>1</fx:severity>
            <x:date xmlns:x="http://purl.org/dc/elements/1.1/">2026-11-24T10:00:00+01:00</x:date></item>
            </channel></rss>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        let item = try #require(items.first)
        #expect(item.severity == 3)
        #expect(item.published == utc("2026-11-24T09:00:00Z"))
    }
}

@Suite struct RSS1Tests {
    @Test func rdfFeed() throws {
        let xml = """
            <?xml version="1.0"?>
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
                     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:fx="urn:critfix:fix:1">
              <channel rdf:about="https://support.example.com/rdf">
                <title>RDF fixes</title>
                <link>https://support.example.com/</link>
                <description>feed</description>
                <items><rdf:Seq><rdf:li rdf:resource="https://support.example.com/kb/1"/></rdf:Seq></items>
              </channel>
              <image rdf:about="https://support.example.com/logo.png"><title>Logo</title></image>
              <item rdf:about="https://support.example.com/kb/1">
                <title>First   fix</title>
                <link>https://support.example.com/kb/1?x=1&amp;y=2</link>
                <description>Plain &amp;amp; simple</description>
                <dc:date>2026-11-24T09:30:00Z</dc:date>
                <fx:severity>2</fx:severity>
              </item>
              <item rdf:about="">
                <title>No about</title>
                <link>https://support.example.com/kb/2</link>
              </item>
            </rdf:RDF>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(result.format == .rss1)
        #expect(result.title == "RDF fixes")
        #expect(items.count == 2)
        #expect(items[0].id == "https://support.example.com/kb/1")
        #expect(items[0].title == "First fix")
        #expect(items[0].link == "https://support.example.com/kb/1?x=1&y=2")
        #expect(items[0].summary == "Plain & simple")
        #expect(items[0].published == utc("2026-11-24T09:30:00Z"))
        #expect(items[0].severity == 2)
        #expect(items[1].id == "https://support.example.com/kb/2")
    }
}

@Suite struct AtomTests {
    @Test func atomWithTheExtension() throws {
        let xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" xmlns:fx="urn:critfix:fix:1">
              <title type="html">M3 &lt;b&gt;fixes&lt;/b&gt;</title>
              <id>urn:feed</id>
              <updated>2026-11-24T12:00:00Z</updated>
              <entry>
                <title type="html">Fix for &lt;code&gt;GL&lt;/code&gt; &amp;amp; AP</title>
                <link rel="self" href="https://support.example.com/self/1"/>
                <link rel="alternate" type="text/html" href="https://support.example.com/kb/1"/>
                <id>tag:example.com,2026:kb-1</id>
                <published>2026-11-24T09:30:00+01:00</published>
                <updated>2026-11-25T08:00:00Z</updated>
                <fx:article>KB1</fx:article>
                <fx:severity>1</fx:severity>
                <fx:kind>patch</fx:kind>
                <fx:product id="erp-m3" affected="&gt;=13.4" fixed="13.4.0.2"/>
                <summary type="text">The &lt;b&gt; tag stays   as text.</summary>
                <content type="html">&lt;p&gt;ignored, summary wins&lt;/p&gt;</content>
              </entry>
              <entry>
                <title>Only updated</title>
                <link href="https://support.example.com/kb/2"/>
                <id>tag:example.com,2026:kb-2</id>
                <updated>2026-11-23T08:00:00Z</updated>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Para <b>one</b></p><p>Para two</p></div></content>
              </entry>
            </feed>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(result.warnings.isEmpty)
        #expect(result.format == .atom)
        #expect(result.title == "M3 fixes")
        #expect(items.count == 2)
        let first = items[0]
        #expect(first.id == "KB1")
        #expect(first.title == "Fix for GL & AP")
        #expect(first.link == "https://support.example.com/kb/1")
        #expect(first.published == utc("2026-11-24T08:30:00Z"))
        #expect(first.updated == utc("2026-11-25T08:00:00Z"))
        #expect(first.severity == 1)
        #expect(first.kind == .patch)
        #expect(first.products == [ProductReference(name: "erp-m3", affected: ">=13.4", fixed: "13.4.0.2")])
        #expect(first.summary == "The <b> tag stays as text.")
        let second = items[1]
        #expect(second.id == "tag:example.com,2026:kb-2")
        #expect(second.link == "https://support.example.com/kb/2")
        #expect(second.published == utc("2026-11-23T08:00:00Z"))
        #expect(second.updated == utc("2026-11-23T08:00:00Z"))
        #expect(second.summary == "Para one Para two")
    }

    @Test func atomWithSchemeCategories() throws {
        let xml = """
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title>Plain Atom</title>
              <entry>
                <id>urn:kb:9</id>
                <title>Regulatory update</title>
                <category scheme="severity" term="3"/>
                <category scheme="kind" term="regulatory"/>
                <category scheme="product" term="Payroll PL 2025.08"/>
                <category term="Płace" label="Płace"/>
                <published>2026-11-24</published>
              </entry>
            </feed>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        let item = try #require(items.first)
        #expect(item.severity == 3)
        #expect(item.kind == .regulatory)
        #expect(item.products == [ProductReference(name: "Payroll PL 2025.08", origin: .category)])
        #expect(item.categories == ["3", "regulatory", "Payroll PL 2025.08", "Płace"])
        #expect(item.published == utc("2026-11-24T00:00:00Z"))
    }

    @Test func atomWithoutItsNamespace() throws {
        let xml = "<feed><title>Bare</title><entry><id>urn:1</id><title>One</title><link href=\"https://e.com/1\"/></entry></feed>"
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(result.format == .atom)
        #expect(result.title == "Bare")
        #expect(items.map(\.id) == ["urn:1"])
        #expect(items.map(\.link) == ["https://e.com/1"])
    }

    @Test func detailModeReadsLinksPeopleTagsAndTheDialect() throws {
        let xml = """
            <feed xmlns="http://www.w3.org/2005/Atom"><title type="html">A &amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; feed</title>
            <id>urn:feed</id><link rel="self" href="https://example.com/feed.xml" type="application/atom+xml"/>
            <link href="https://example.com/"/>
            <author><name>Ana</name><email>ana@example.com</email><uri>https://example.com/ana</uri></author>
            <entry><id>urn:1</id><title>One</title>
            <link rel="enclosure" href="https://example.com/1.zip" length="42"/><link href="https://example.com/1"/>
            <category term="1" scheme="severity" label="Critical"/>
            <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Fixes</p><p>it</p></div></summary>
            <content type="html">&lt;p&gt;More&lt;/p&gt;</content></entry></feed>
            """
        let (result, detail, entries) = FeedParser.parseDetailed(data: Array(xml.utf8))
        #expect(result.error == nil)
        let feed = detail
        #expect(feed.version == .atom10)
        #expect(feed.isWellFormed)
        #expect(feed.title == TextValue(value: "A <b>bold</b> feed", type: "text/html"))
        #expect(feed.id == "urn:feed")
        #expect(feed.link == "https://example.com/")
        #expect(feed.links.map(\.rel) == ["self", "alternate"])
        #expect(feed.author == "Ana (ana@example.com)")
        #expect(feed.authorDetail == Person(name: "Ana", email: "ana@example.com", href: "https://example.com/ana"))
        let (item, entry) = try #require(entries.first)
        #expect(item.id == "urn:1")
        #expect(entry.link == "https://example.com/1")
        #expect(entry.links.first == Link(href: "https://example.com/1.zip", rel: "enclosure", length: "42"))
        #expect(entry.tags == [Tag(term: "1", scheme: "severity", label: "Critical")])
        #expect(entry.summary == TextValue(value: "Fixes it", type: "application/xhtml+xml"))
        #expect(entry.content == [TextValue(value: "More", type: "text/html")])

        let rss = """
            <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><managingEditor>ed@example.com (Ed)</managingEditor>
            <item><guid>https://example.com/2</guid><author>me@example.com (Me)</author><dc:creator>You</dc:creator>
            <category domain="kind">patch</category><enclosure url="https://example.com/2.zip" type="application/zip"/></item>
            </channel></rss>
            """
        let (_, rssDetail, rssEntries) = FeedParser.parseDetailed(data: Array(rss.utf8))
        #expect(rssDetail.version == .rss20)
        #expect(rssDetail.authorDetail == Person(name: "Ed", email: "ed@example.com"))
        let rssEntry = try #require(rssEntries.first?.detail)
        #expect(rssEntry.link == "https://example.com/2")
        #expect(rssEntry.author == "me@example.com (Me)")
        #expect(rssEntry.authors == [Person(name: "Me", email: "me@example.com"), Person(name: "You")])
        #expect(rssEntry.tags == [Tag(term: "patch", scheme: "kind")])
        #expect(rssEntry.links == [Link(href: "https://example.com/2.zip", rel: "enclosure", type: "application/zip")])
    }

    @Test func detailModeReadsOnPastErrorsAndNonFeeds() throws {
        let broken = "<rss version=\"2.0\"><channel><title>caf&eacute;</title><item><guid>a</guid></item></channel></rss"
        let (result, detail, entries) = FeedParser.parseDetailed(data: Array(broken.utf8))
        #expect(detail.isWellFormed == false)
        #expect(detail.title?.value == "café")
        #expect(entries.map(\.item.id) == ["a"])
        #expect(result.error?.message.contains("Entity 'eacute' not defined") == true)
        // The default mode stops at the first error.
        let (items, plain) = parse(broken)
        #expect(items.isEmpty)
        #expect(plain.error == result.error)

        let (page, pageDetail, _) = FeedParser.parseDetailed(data: Array("<html><body><p>x</p></body></html>".utf8))
        #expect(pageDetail.isWellFormed == true)
        #expect(page.error?.message == "not a feed: the root element is <html>")
        let (_, badDetail, _) = FeedParser.parseDetailed(data: Array("<html><body></html>".utf8))
        #expect(badDetail.isWellFormed == false)
    }
}

