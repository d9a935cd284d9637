import Articles
import FeedParsing
import Foundation
import Testing

/// CVRF 1.2 and 1.1 documents: one document, one item (SPEC 2.3).
@Suite struct CVRFTests {
    static func cvrf12(status: String = "Final", withThreat: Bool = true) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <cvrfdoc xmlns="http://docs.oasis-open.org/csaf/ns/csaf-cvrf/v1.2/cvrf"
                 xmlns:prod="http://docs.oasis-open.org/csaf/ns/csaf-cvrf/v1.2/prod"
                 xmlns:vuln="http://docs.oasis-open.org/csaf/ns/csaf-cvrf/v1.2/vuln">
          <DocumentTitle>ERP LN: Important   security update</DocumentTitle>
          <DocumentType>Security Advisory</DocumentType>
          <DocumentPublisher Type="Vendor"><ContactDetails>psirt@example.com</ContactDetails></DocumentPublisher>
          <DocumentTracking>
            <Identification><ID>EX-SA-2026:0042</ID></Identification>
            <Status>\(status)</Status>
            <Version>3</Version>
            <RevisionHistory>
              <Revision><Number>1</Number><Date>2026-11-01T00:00:00Z</Date><Description>Initial</Description></Revision>
              <Revision><Number>2</Number><Date>2026-11-10T00:00:00Z</Date><Description>More products</Description></Revision>
              <Revision><Number>3</Number><Date>2026-11-24T09:30:00Z</Date><Description>Fix released</Description></Revision>
            </RevisionHistory>
            <InitialReleaseDate>2026-11-01T00:00:00Z</InitialReleaseDate>
            <CurrentReleaseDate>2026-11-24T09:30:00+01:00</CurrentReleaseDate>
          </DocumentTracking>
          <DocumentNotes>
            <Note Title="Details" Type="Details" Ordinal="1">Not the summary.</Note>
            <Note Title="Summary" Type="Summary" Ordinal="2">Posting   fails when
              the period is closed &amp; reopened.</Note>
          </DocumentNotes>
          <DocumentReferences>
            <Reference Type="External"><URL>https://example.com/other</URL><Description>Other</Description></Reference>
            <Reference Type="Self"><URL>https://support.example.com/sa/2026-0042</URL><Description>Self</Description></Reference>
          </DocumentReferences>
          <AggregateSeverity>Moderate</AggregateSeverity>
          <prod:ProductTree>
            <prod:Branch Type="Vendor" Name="Example">
              <prod:Branch Type="Product Name" Name="ERP LN">
                <prod:Branch Type="Product Version" Name="10.7.1">
                  <prod:FullProductName ProductID="LN-1071">ERP LN 10.7.1</prod:FullProductName>
                </prod:Branch>
                <prod:Branch Type="Product Version" Name="10.7.2">
                  <prod:FullProductName ProductID="LN-1072">ERP LN 10.7.2</prod:FullProductName>
                </prod:Branch>
                <prod:Branch Type="Product Version" Name="10.6">
                  <prod:FullProductName ProductID="LN-106">ERP LN 10.6</prod:FullProductName>
                </prod:Branch>
              </prod:Branch>
              <prod:Branch Type="Product Name" Name="ERP M3">
                <prod:FullProductName ProductID="M3">ERP M3 (all)</prod:FullProductName>
              </prod:Branch>
            </prod:Branch>
            <prod:FullProductName ProductID="WMS">WMS Core</prod:FullProductName>
          </prod:ProductTree>
          <vuln:Vulnerability Ordinal="1">
            <vuln:CVE>CVE-2026-0001</vuln:CVE>
            <vuln:ProductStatuses>
              <vuln:Status Type="Known Affected"><vuln:ProductID>LN-1071</vuln:ProductID><vuln:ProductID>LN-106</vuln:ProductID></vuln:Status>
              <vuln:Status Type="Fixed"><vuln:ProductID>LN-1072</vuln:ProductID></vuln:Status>
            </vuln:ProductStatuses>
            \(withThreat ? "<vuln:Threats><vuln:Threat Type=\"Impact\"><vuln:Description>Important</vuln:Description></vuln:Threat></vuln:Threats>" : "")
          </vuln:Vulnerability>
          <vuln:Vulnerability Ordinal="2">
            <vuln:ProductStatuses>
              <vuln:Status Type="Known Affected"><vuln:ProductID>M3</vuln:ProductID><vuln:ProductID>WMS</vuln:ProductID><vuln:ProductID>GHOST</vuln:ProductID></vuln:Status>
            </vuln:ProductStatuses>
            \(withThreat ? "<vuln:Threats><vuln:Threat Type=\"Exploit Status\"><vuln:Description>Critical</vuln:Description></vuln:Threat></vuln:Threats>" : "")
          </vuln:Vulnerability>
        </cvrfdoc>
        """
    }

    @Test func cvrf12Document() throws {
        let (items, result) = parse(Self.cvrf12(), chunkSize: 97)
        #expect(result.error == nil)
        #expect(result.format == .cvrf)
        #expect(result.title == "ERP LN: Important security update")
        #expect(result.itemCount == 1)
        let item = try #require(items.first)
        #expect(item.id == "EX-SA-2026:0042")
        #expect(item.revision == 3)
        #expect(item.title == "ERP LN: Important security update")
        #expect(item.link == "https://support.example.com/sa/2026-0042")
        #expect(item.published == utc("2026-11-01T00:00:00Z"))
        #expect(item.updated == utc("2026-11-24T08:30:00Z"))
        #expect(item.summary == "Posting fails when the period is closed & reopened.")
        #expect(item.severity == 2)
        #expect(item.kind == .patch)
        #expect(
            item.products == [
                ProductReference(name: "ERP LN", affected: "=10.7.1 || =10.6", fixed: "10.7.2", origin: .identifier),
                ProductReference(name: "ERP M3", affected: nil, fixed: nil, origin: .identifier),
                ProductReference(name: "WMS Core", affected: nil, fixed: nil, origin: .identifier),
            ])
        #expect(result.warnings.map(\.message) == ["CVRF product id 'GHOST' is not in the product tree, ignored"])
    }

    @Test func aggregateSeverityWhenNoThreat() throws {
        let (items, _) = parse(Self.cvrf12(withThreat: false))
        #expect(items.first?.severity == 3)
        #expect(items.first?.kind == .patch)
    }

    @Test func draftIsSkipped() throws {
        let (items, result) = parse(Self.cvrf12(status: "Draft"))
        #expect(items.isEmpty)
        #expect(result.itemCount == 0)
        #expect(result.error == nil)
        #expect(result.format == .cvrf)
        #expect(result.title == "ERP LN: Important security update")
    }

    @Test func cvrf11CriticalFix() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <cvrfdoc xmlns="http://www.icasi.org/CVRF/schema/cvrf/1.1"
                     xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1">
              <DocumentTitle xml:lang="en">M3 critical fix</DocumentTitle>
              <DocumentType>Security Bulletin</DocumentType>
              <DocumentTracking>
                <Identification><ID>M3-2026-7</ID></Identification>
                <Status>Interim</Status>
                <Version>1.0</Version>
                <RevisionHistory><Revision><Number>1.0</Number><Date>2026-11-24</Date><Description>First</Description></Revision></RevisionHistory>
                <InitialReleaseDate>2026-11-24T10:00:00Z</InitialReleaseDate>
                <CurrentReleaseDate>2026-11-24T10:00:00Z</CurrentReleaseDate>
              </DocumentTracking>
              <DocumentReferences><Reference><URL>https://support.example.com/m3/7</URL></Reference></DocumentReferences>
              <ProductTree xmlns="http://www.icasi.org/CVRF/schema/prod/1.1">
                <Branch Type="Product Name" Name="ERP M3">
                  <Branch Type="Product Version" Name="13.4">
                    <FullProductName ProductID="CVRFPID-1">ERP M3 13.4</FullProductName>
                  </Branch>
                  <Branch Type="Product Version" Name="13.5">
                    <FullProductName ProductID="CVRFPID-2">ERP M3 13.5</FullProductName>
                  </Branch>
                </Branch>
              </ProductTree>
              <Vulnerability xmlns="http://www.icasi.org/CVRF/schema/vuln/1.1" Ordinal="1">
                <Threats><Threat Type="Impact"><Description>Critical</Description></Threat></Threats>
                <ProductStatuses>
                  <Status Type="Known Affected"><ProductID>CVRFPID-1</ProductID></Status>
                  <Status Type="First Fixed"><ProductID>CVRFPID-2</ProductID></Status>
                </ProductStatuses>
              </Vulnerability>
            </cvrfdoc>
            """
        let (items, result) = parse(xml)
        #expect(result.error == nil)
        #expect(result.warnings.isEmpty)
        let item = try #require(items.first)
        #expect(item.id == "M3-2026-7")
        #expect(item.revision == 1)
        #expect(item.severity == 1)
        #expect(item.kind == .criticalFix)
        #expect(item.link == "https://support.example.com/m3/7")
        #expect(item.summary == "")
        #expect(item.products == [ProductReference(name: "ERP M3", affected: "=13.4", fixed: "13.5")])
    }
}

/// Items are handed out one by one, in order, whatever the chunking.
@Suite struct StreamingTests {
    static let document: [UInt8] = {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0" xmlns:fx="urn:critfix:fix:1"><channel><title>Big</title>

            """
        for index in 0..<20_000 {
            xml += """
                <item><title>Item \(index) zażółć &amp; &lt;x&gt;</title><guid>g-\(index)</guid>\
                <pubDate>Tue, 24 Nov 2026 09:30:00 +0000</pubDate><fx:severity>\(index % 4 + 1)</fx:severity>\
                <fx:product id="erp-ln" affected="&gt;=10.\(index % 10)"/>\
                <description>&lt;p&gt;Summary \(index)&lt;/p&gt;</description></item>

                """
        }
        xml += "</channel></rss>\n"
        return Array(xml.utf8)
    }()

    @Test(arguments: [7, 64 << 10]) func everyItemArrivesInOrder(chunkSize: Int) throws {
        var seen = 0
        var inOrder = true
        let parser = FeedParser { item in
            let index = seen
            if item.id != "g-\(index)" || item.title != "Item \(index) zażółć & <x>" || item.severity != index % 4 + 1
                || item.summary != "Summary \(index)" || item.products.first?.affected != ">=10.\(index % 10)"
            {
                inOrder = false
            }
            seen += 1
        }
        Self.document.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + chunkSize, all.count)
                parser.consume(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        let result = parser.finish()
        #expect(result.error == nil)
        #expect(result.warnings.isEmpty)
        #expect(result.itemCount == 20_000)
        #expect(seen == 20_000)
        #expect(inOrder)
        // finish() is idempotent and later chunks are ignored.
        [UInt8]("<junk>".utf8).withUnsafeBytes { parser.consume($0) }
        #expect(parser.finish().itemCount == 20_000)
    }

    @Test func parseFileReadsInChunks() throws {
        let path = NSTemporaryDirectory() + "critfix-stream-\(UUID().uuidString).xml"
        try Data(Self.document).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var count = 0
        let result = FeedParser.parse(file: path) { _ in count += 1 }
        #expect(result.error == nil)
        #expect(result.title == "Big")
        #expect(count == 20_000)
        #expect(FeedParser.parse(data: Self.document) { _ in }.itemCount == 20_000)
    }
}
